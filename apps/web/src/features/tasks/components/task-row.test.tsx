import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, makeTask, renderPage, stubFetch } from '../../../../test/utils';
import { setAccessToken } from '../../../lib/session';
import { TaskRow } from './task-row';

const LEAD = '01900000-0000-7000-8000-000000000007';
const noop = () => {};

describe('a follow-up task', () => {
  it('shows the lead it is about and links back to it', async () => {
    setAccessToken('token');
    stubFetch(() => json(200, { id: LEAD, firstName: 'José' }));
    renderPage(
      <TaskRow
        task={makeTask(1, { title: 'Follow up with José', leadId: LEAD })}
        selected={false}
        readOnly={false}
        onSelect={noop}
        onToggle={noop}
        onEdit={noop}
        onDelete={noop}
      />,
    );
    const link = await screen.findByRole('link', { name: 'Lead: José' });
    expect(link).toHaveAttribute('href', `/leads/${LEAD}`);
  });

  it('a task without a lead has no lead link', () => {
    renderPage(
      <TaskRow
        task={makeTask(2)}
        selected={false}
        readOnly={false}
        onSelect={noop}
        onToggle={noop}
        onEdit={noop}
        onDelete={noop}
      />,
    );
    expect(screen.queryByTestId('task-lead-link')).not.toBeInTheDocument();
  });
});
