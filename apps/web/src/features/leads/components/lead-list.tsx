import type { Agent, Lead, LeadStatus } from '@crewdesk/contracts';
import { leadStatuses } from '@crewdesk/contracts';
import { memo } from 'react';
import { Link } from 'react-router';
import { VirtualList } from '../../../components/virtual-list';
import { formatShortDateTime } from '../../../lib/format';
import { formatPhone } from '../../../lib/phone';

const ROW_HEIGHT = 96;
export const statusLabel: Record<LeadStatus, string> = {
  new: 'New',
  contacted: 'Contacted',
  qualified: 'Qualified',
  won: 'Won',
  lost: 'Lost',
};

interface RowActions {
  readOnly: boolean;
  agents?: Agent[];
  selected?: ReadonlySet<string>;
  onSelect?: (lead: Lead) => void;
  onStatus: (lead: Lead, status: LeadStatus) => void;
  onFollowUp: (lead: Lead) => void;
  onReassign?: (lead: Lead, agentId: string) => void;
}

/** The call button: a real tel: link (E.164), big enough for a thumb. */
export function CallLink({ lead }: { lead: Pick<Lead, 'firstName' | 'phone'> }) {
  return (
    <a className="btn btn-primary call-btn" href={`tel:${lead.phone}`} aria-label={`Call ${lead.firstName}`}>
      <svg viewBox="0 0 16 16" aria-hidden="true">
        <path d="M4.5 2h2l1 3-1.5 1a8 8 0 0 0 4 4l1-1.5 3 1v2a1.5 1.5 0 0 1-1.5 1.5A11 11 0 0 1 2 3.5 1.5 1.5 0 0 1 3.5 2z" />
      </svg>
      Call
    </a>
  );
}

const LeadRow = memo(function LeadRow({
  lead,
  readOnly,
  agents,
  selected,
  onSelect,
  onStatus,
  onFollowUp,
  onReassign,
}: RowActions & { lead: Lead }) {
  const isSelected = selected?.has(lead.id) ?? false;
  return (
    <div className={`lead-row ${isSelected ? 'selected' : ''}`} role="listitem" data-testid="lead-row">
      {onSelect && (
        <input
          type="checkbox"
          className="select-box"
          checked={isSelected}
          onChange={() => onSelect(lead)}
          aria-label={`Select ${lead.firstName}`}
        />
      )}
      <div className="lead-main">
        <Link className="lead-name" to={`/leads/${lead.id}`}>
          {lead.firstName}
        </Link>
        <span className="lead-phone" data-testid="lead-phone">
          {formatPhone(lead.phone)}
        </span>
        {lead.notes && (
          <p className="task-desc lead-note" data-testid="lead-latest-note">
            {lead.notes}
          </p>
        )}
        <span className="muted lead-assigned">Assigned {formatShortDateTime(lead.assignedAt)}</span>
      </div>
      {onReassign && agents ? (
        <select
          aria-label={`Agent for ${lead.firstName}`}
          value={lead.agentId ?? ''}
          disabled={readOnly}
          onChange={(e) => onReassign(lead, e.target.value)}
        >
          {!agents.some((a) => a.id === lead.agentId) && (
            <option value={lead.agentId ?? ''}>{lead.agentName ?? 'Unassigned'}</option>
          )}
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      ) : null}
      <select
        aria-label={`Status of ${lead.firstName}`}
        className={`status-select status-${lead.status}`}
        value={lead.status}
        disabled={readOnly}
        onChange={(e) => onStatus(lead, e.target.value as LeadStatus)}
      >
        {leadStatuses.map((s) => (
          <option key={s} value={s}>
            {statusLabel[s]}
          </option>
        ))}
      </select>
      <div className="lead-actions">
        <CallLink lead={lead} />
        <button
          type="button"
          className="btn btn-secondary tap-target"
          disabled={readOnly}
          onClick={() => onFollowUp(lead)}
          aria-label={`Follow up with ${lead.firstName}`}
        >
          Follow up
        </button>
      </div>
    </div>
  );
});

/** Virtualised like the task list; rows are measured because they wrap on narrow screens. */
export function LeadList({
  leads,
  hasMore,
  loadingMore,
  loadMore,
  ...actions
}: RowActions & { leads: Lead[]; hasMore: boolean; loadingMore: boolean; loadMore: () => void }) {
  return (
    <VirtualList
      items={leads}
      label="Leads"
      testId="lead-scroll"
      estimateSize={ROW_HEIGHT}
      measure
      hasMore={hasMore}
      loadingMore={loadingMore}
      loadMore={loadMore}
      renderItem={(lead) => <LeadRow lead={lead} {...actions} />}
    />
  );
}
