import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { testUser } from '../../test/utils';
import { endSession } from './end-session';
import { queryClient } from './query-client';
import { getAccessToken, sessionStore, setAccessToken } from './session';

const posted: unknown[] = [];
beforeEach(() => {
  posted.length = 0;
  vi.spyOn(BroadcastChannel.prototype, 'postMessage').mockImplementation((m: unknown) => void posted.push(m));
  setAccessToken('token');
  sessionStore.set({ status: 'authenticated', user: testUser });
  queryClient.setQueryData(['tasks'], ['secret']);
});
afterEach(() => queryClient.clear());

describe('ending a session', () => {
  it('forgets the token and the cached queries before the signed-out state shows the sign-in page', async () => {
    const seen: [string | null, unknown][] = [];
    const unsubscribe = sessionStore.subscribe(() =>
      seen.push([getAccessToken(), queryClient.getQueryData(['tasks'])]),
    );

    await endSession('refused');
    unsubscribe();

    expect(sessionStore.get()).toEqual({ status: 'anonymous', user: null });
    expect(seen).toEqual([[null, undefined]]);
  });

  it('tells the other tabs only when the user signed out here', async () => {
    await endSession('other-tab');
    await endSession('refused');
    expect(posted).toEqual([]);
    await endSession('signed-out');
    expect(posted).toEqual([{ type: 'signed-out' }]);
  });
});
