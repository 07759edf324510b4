import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred, json, problem, stubFetch, testUser } from '../../test/utils';
import { withAccessToken } from './access-token';
import { queryClient } from './query-client';
import { getAccessToken, sessionStore, setAccessToken } from './session';

/** An attempt that records the authorization it was sent with and answers from a list. */
function attempts(...statuses: number[]) {
  const sent: (string | undefined)[] = [];
  const attempt = vi.fn(async (headers: Record<string, string>) => {
    sent.push(headers.authorization);
    return { status: statuses[sent.length - 1] ?? 200 };
  });
  return { attempt, sent };
}

beforeEach(() => {
  setAccessToken('old-token');
  sessionStore.set({ status: 'authenticated', user: testUser });
});
afterEach(() => {
  setAccessToken(null);
  queryClient.clear();
});

describe('sending a request with the access token', () => {
  it('sends the bearer token, and nothing when there is none', async () => {
    const { attempt, sent } = attempts(200, 200);
    stubFetch(() => json(500, {}));
    await withAccessToken(attempt);
    setAccessToken(null);
    await withAccessToken(attempt);
    expect(sent).toEqual(['Bearer old-token', undefined]);
  });

  it('refreshes once on a 401, lets go of that answer, and retries with the new token', async () => {
    const { attempt, sent } = attempts(401, 200);
    const release = vi.fn();
    stubFetch(() => json(200, { accessToken: 'new-token', expiresIn: 900 }));

    const res = await withAccessToken(attempt, { release });

    expect(res.status).toBe(200);
    expect(sent).toEqual(['Bearer old-token', 'Bearer new-token']);
    expect(release).toHaveBeenCalledExactlyOnceWith({ status: 401 });
  });

  it('ends the session when the retry is refused too: token, cached queries and signed-in state are gone', async () => {
    const { attempt } = attempts(401, 401);
    stubFetch(() => json(200, { accessToken: 'new-token', expiresIn: 900 }));
    queryClient.setQueryData(['tasks'], ['secret']);

    const res = await withAccessToken(attempt);

    expect(res.status).toBe(401);
    expect(getAccessToken()).toBeNull();
    expect(queryClient.getQueryData(['tasks'])).toBeUndefined();
    expect(sessionStore.get()).toEqual({ status: 'anonymous', user: null });
  });

  it('does not retry, nor end the session, when the caller gave up while the token was refreshed', async () => {
    const { attempt, sent } = attempts(401);
    const refresh = deferred<Response>();
    stubFetch(() => refresh.promise);
    const controller = new AbortController();

    const pending = withAccessToken(attempt, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 0));
    controller.abort();
    refresh.resolve(problem(401, 'Unauthorized'));

    expect((await pending).status).toBe(401);
    expect(sent).toHaveLength(1);
    expect(sessionStore.get().status).toBe('authenticated');
  });

  it('leaves a 401 alone when asked not to refresh (the auth endpoints)', async () => {
    const { attempt, sent } = attempts(401);
    const { requests } = stubFetch(() => json(200, {}));

    expect((await withAccessToken(attempt, { refresh: false })).status).toBe(401);
    expect(sent).toHaveLength(1);
    expect(requests).toHaveLength(0);
    expect(getAccessToken()).toBe('old-token');
  });
});
