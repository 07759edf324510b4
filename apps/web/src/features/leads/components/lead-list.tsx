import type { Agent, Lead, LeadStatus } from '@crewdesk/contracts';
import { leadStatuses } from '@crewdesk/contracts';
import { memo } from 'react';
import { VirtualList } from '../../../components/virtual-list';

const ROW_HEIGHT = 76;
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
  onStatus: (lead: Lead, status: LeadStatus) => void;
  onNotes: (lead: Lead) => void;
  onFollowUp: (lead: Lead) => void;
  onReassign?: (lead: Lead, agentId: string) => void;
}

const LeadRow = memo(function LeadRow({
  lead,
  readOnly,
  agents,
  onStatus,
  onNotes,
  onFollowUp,
  onReassign,
}: RowActions & { lead: Lead }) {
  return (
    <div className="lead-row" role="listitem" data-testid="lead-row">
      <div className="lead-main">
        <span className="lead-name">{lead.firstName}</span>
        <a className="lead-phone" href={`tel:${lead.phone}`}>
          {lead.phone}
        </a>
        {lead.notes && <p className="task-desc">{lead.notes}</p>}
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
        <button
          type="button"
          className="btn btn-ghost"
          disabled={readOnly}
          onClick={() => onNotes(lead)}
          aria-label={`Notes for ${lead.firstName}`}
        >
          Notes
        </button>
        <button
          type="button"
          className="btn btn-ghost"
          disabled={readOnly}
          onClick={() => onFollowUp(lead)}
          aria-label={`Follow-up task for ${lead.firstName}`}
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
