import type { Task } from '@crewdesk/contracts';
import { fireEvent, render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTask } from '../../../../test/utils';
import { TaskList } from './task-list';

const noop = () => {};
function renderList(tasks: Task[], props: Partial<Parameters<typeof TaskList>[0]> = {}) {
  return render(
    <TaskList
      tasks={tasks}
      hasMore={false}
      loadingMore={false}
      loadMore={noop}
      selected={new Set()}
      readOnly={false}
      onSelect={noop}
      onToggle={noop}
      onEdit={noop}
      onDelete={noop}
      {...props}
    />,
  );
}
const scroller = () => screen.getByTestId('task-scroll');
function scrollTo(top: number) {
  scroller().scrollTop = top;
  fireEvent.scroll(scroller());
}

beforeEach(() => {
  // jsdom has no layout: give the scroll box the height a phone screen would (760 px).
  vi.spyOn(Element.prototype, 'clientHeight', 'get').mockReturnValue(760);
  vi.spyOn(Element.prototype, 'clientWidth', 'get').mockReturnValue(375);
});

describe('the task list', () => {
  it('renders a row per task with its title, priority and due date', () => {
    renderList([
      makeTask(1, { title: 'Call the supplier', priority: 'high', dueDate: '2030-03-04T12:00:00.000Z' }),
      makeTask(2, { title: 'Send the invoice', status: 'completed', description: 'For March' }),
    ]);

    const rows = screen.getAllByTestId('task-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Call the supplier');
    expect(rows[0]).toHaveTextContent('High');
    expect(rows[0]).toHaveTextContent(/Due .*2030/);
    expect(screen.getByRole('button', { name: 'Complete “Call the supplier”' })).toHaveAttribute(
      'aria-pressed',
      'false',
    );
    expect(rows[1]).toHaveTextContent('For March');
    expect(screen.getByRole('button', { name: 'Reopen “Send the invoice”' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('keeps fewer than 60 rows in the DOM with 10,000 tasks, and shows the rows at the scroll position', () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => makeTask(i));
    renderList(tasks);

    const atTop = screen.getAllByTestId('task-row');
    expect(atTop.length).toBeGreaterThan(5);
    expect(atTop.length).toBeLessThan(60);
    expect(atTop[0]).toHaveTextContent('Task 0');
    // The list is as tall as all 10,000 rows, so the scrollbar is honest.
    expect(screen.getByRole('list', { name: 'Tasks' }).style.height).toBe(`${10_000 * 72}px`);

    scrollTo(5_000 * 72);

    const inTheMiddle = screen.getAllByTestId('task-row');
    expect(inTheMiddle.length).toBeLessThan(60);
    expect(screen.getByText('Task 5000')).toBeInTheDocument();
    expect(screen.queryByText('Task 0')).toBeNull();
    expect(document.querySelectorAll('[role="listitem"]').length).toBeLessThan(60);
  });

  it('asks for the next page only when scrolled near the end', () => {
    const loadMore = vi.fn();
    const tasks = Array.from({ length: 50 }, (_, i) => makeTask(i));
    renderList(tasks, { hasMore: true, loadMore });
    expect(loadMore).not.toHaveBeenCalled();

    scrollTo(50 * 72 - 760);

    expect(loadMore).toHaveBeenCalled();
    expect(screen.getByText('Loading more…')).toBeInTheDocument();
  });
});
