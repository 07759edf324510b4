import type { Agent, Lead, LeadSort } from '@crewdesk/contracts';
import { useState } from 'react';
import { Button } from '../../../components/button';

const columns = [
  { key: 'name', label: 'Name' },
  { key: 'status', label: 'Status' },
  { key: 'agent', label: 'Agent' },
  { key: 'assignedAt', label: 'Assigned' },
] as const;

/**
 * The list's column headers as sort buttons: the first press sorts ascending, the second descending,
 * the third goes back to newest first. The server sorts, so every page follows the order.
 */
export function SortBar({
  sort,
  onSort,
}: {
  sort: LeadSort | undefined;
  onSort: (sort: LeadSort | undefined) => void;
}) {
  return (
    <div className="sort-bar" role="group" aria-label="Sort leads">
      <span className="muted">Sort by</span>
      {columns.map(({ key, label }) => {
        const state = sort === key ? 'ascending' : sort === `-${key}` ? 'descending' : 'none';
        const next: LeadSort | undefined =
          state === 'none' ? key : state === 'ascending' ? (`-${key}` as LeadSort) : undefined;
        return (
          <button
            key={key}
            type="button"
            className={`btn btn-ghost sort-btn ${state === 'none' ? '' : 'active'}`}
            aria-pressed={state !== 'none'}
            aria-label={`Sort by ${label.toLowerCase()}${state === 'none' ? '' : `, ${state}`}`}
            onClick={() => onSort(next)}
          >
            {label}
            <span aria-hidden="true">{state === 'ascending' ? ' ↑' : state === 'descending' ? ' ↓' : ''}</span>
          </button>
        );
      })}
    </div>
  );
}

/** Select all (loaded) leads, and hand the selected ones to one agent in one step. */
export function BulkReassignBar({
  leads,
  selected,
  agents,
  busy,
  disabled,
  onSelectAll,
  onReassign,
}: {
  leads: Lead[];
  selected: ReadonlySet<string>;
  agents: Agent[];
  busy: boolean;
  disabled: boolean;
  onSelectAll: (all: boolean) => void;
  onReassign: (agentId: string) => void;
}) {
  const [to, setTo] = useState('');
  const all = leads.length > 0 && leads.every((l) => selected.has(l.id));
  return (
    <div className={`lead-bulk-bar ${selected.size ? 'active' : ''}`} role="group" aria-label="Selected leads">
      <label className="check-label">
        <input type="checkbox" checked={all} onChange={(e) => onSelectAll(e.target.checked)} />
        {selected.size ? `${selected.size} selected` : 'Select all'}
      </label>
      {selected.size > 0 && (
        <>
          <select aria-label="Reassign to" value={to} onChange={(e) => setTo(e.target.value)} disabled={disabled}>
            <option value="">Reassign to…</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
          <Button variant="primary" busy={busy} disabled={!to || disabled} onClick={() => onReassign(to)}>
            Reassign {selected.size}
          </Button>
        </>
      )}
    </div>
  );
}
