import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/api-errors';
import { ListStatus } from './list';

const list = (over: Partial<Parameters<typeof ListStatus>[0]['list']>) => ({
  data: undefined,
  isPending: false,
  isError: false,
  error: null,
  refetch: vi.fn(),
  ...over,
});
const failed = { isError: true, error: new ApiError(500, { type: 'about:blank', title: 'Server error', status: 500 }) };

function show(l: ReturnType<typeof list>, keepRowsOnError = false) {
  return render(
    <ListStatus list={l} loadingLabel="Loading rows…" empty={<p>Nothing here</p>} keepRowsOnError={keepRowsOnError}>
      <p>The rows</p>
    </ListStatus>,
  );
}

describe('what a list shows', () => {
  it('a spinner with its label while the first page loads', () => {
    show(list({ isPending: true }));
    expect(screen.getByRole('status')).toHaveTextContent('Loading rows…');
  });

  it('the failure with a retry that refetches', async () => {
    const l = list({ ...failed });
    show(l);
    expect(screen.getByRole('alert')).toHaveTextContent('Server error');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(l.refetch).toHaveBeenCalled();
  });

  it('the rows it has when a refresh fails, if asked to keep them; the failure otherwise', () => {
    show(list({ ...failed, data: [1] }), true);
    expect(screen.getByText('The rows')).toBeInTheDocument();
    show(list({ ...failed, data: [1] }));
    expect(screen.getByRole('alert')).toBeInTheDocument();
  });

  it('the empty state for no rows, and the rows otherwise', () => {
    show(list({ data: [] }));
    expect(screen.getByText('Nothing here')).toBeInTheDocument();
    expect(screen.queryByText('The rows')).toBeNull();
  });
});
