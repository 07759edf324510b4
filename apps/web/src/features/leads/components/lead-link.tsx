import { Link } from 'react-router';
import { useLead } from '../api/leads';

/** Where a follow-up task links back to its lead: the lead's name, opening the lead. */
export function LeadLink({ leadId }: { leadId: string }) {
  const lead = useLead(leadId);
  return (
    <Link className="lead-link" to={`/leads/${leadId}`} data-testid="task-lead-link">
      Lead: {lead.data?.firstName ?? 'open the lead'}
    </Link>
  );
}
