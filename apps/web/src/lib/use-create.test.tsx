import { QueryClientProvider } from '@tanstack/react-query';
import { renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { deferred, testQueryClient } from '../../test/utils';
import { ApiError } from './api-errors';
import { useCreate } from './use-create';

const wrapper = ({ children }: { children: ReactNode }) => (
  <QueryClientProvider client={testQueryClient()}>{children}</QueryClientProvider>
);

describe('useCreate, the protection every create in the web client goes through', () => {
  it('a second mutate while the first is on its way joins it: one request, both callbacks told', async () => {
    const answer = deferred<{ id: string }>();
    const create = vi.fn((_body: { leadId: string }, _key: string) => answer.promise);
    const { result } = renderHook(() => useCreate({ create }), { wrapper });
    const first = vi.fn();
    const second = vi.fn();
    result.current.mutate({ leadId: 'a' }, { onSuccess: first });
    result.current.mutate({ leadId: 'a' }, { onSuccess: second });
    answer.resolve({ id: 'task-1' });
    await waitFor(() => expect(second).toHaveBeenCalledWith({ id: 'task-1' }));
    expect(first).toHaveBeenCalledWith({ id: 'task-1' });
    expect(create).toHaveBeenCalledOnce();
  });

  it('keeps the key for the same body after a 409 (still being answered) or 5xx, not after another body', async () => {
    const create = vi
      .fn<(body: { title: string }, key: string) => Promise<string>>()
      .mockRejectedValueOnce(new ApiError(409, null))
      .mockRejectedValueOnce(new ApiError(503, null))
      .mockResolvedValue('ok');
    const { result } = renderHook(() => useCreate({ create }), { wrapper });
    await expect(result.current.mutateAsync({ title: 'A' })).rejects.toThrow();
    await expect(result.current.mutateAsync({ title: 'A' })).rejects.toThrow();
    await result.current.mutateAsync({ title: 'B' });
    const keys = create.mock.calls.map(([, key]) => key);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });
});
