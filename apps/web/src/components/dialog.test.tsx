import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { renderPage } from '../../test/utils';
import { Dialog } from './dialog';

function Harness() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button">Something else</button>
      <button type="button" onClick={() => setOpen(true)}>
        New thing
      </button>
      <Dialog open={open} title="New thing" onClose={() => setOpen(false)}>
        <form>
          <label>
            Name <input />
          </label>
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </form>
      </Dialog>
    </>
  );
}

describe('the shared dialog', () => {
  it('puts focus on its first field when it opens, not on the Close button', async () => {
    renderPage(<Harness />);
    await userEvent.click(screen.getByRole('button', { name: 'New thing' }));
    const dialog = await screen.findByRole('dialog', { name: 'New thing' });
    await waitFor(() => expect(screen.getByLabelText('Name')).toHaveFocus());
    expect(dialog).toHaveAttribute('open');
  });

  it('Escape closes it and gives focus back to the button that opened it', async () => {
    renderPage(<Harness />);
    await userEvent.click(screen.getByRole('button', { name: 'New thing' }));
    await waitFor(() => expect(screen.getByLabelText('Name')).toHaveFocus());
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByRole('button', { name: 'New thing' })).toHaveFocus();
  });

  it('closing it with a button inside also gives focus back to the opener', async () => {
    renderPage(<Harness />);
    await userEvent.click(screen.getByRole('button', { name: 'New thing' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByRole('button', { name: 'New thing' })).toHaveFocus();
  });
});
