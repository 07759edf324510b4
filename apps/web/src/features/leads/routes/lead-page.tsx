import type { LeadStatus } from '@crewdesk/contracts';
import { leadStatuses } from '@crewdesk/contracts';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { Button } from '../../../components/button';
import { Field } from '../../../components/field';
import { Page } from '../../../components/page';
import { ErrorState, Spinner } from '../../../components/states';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { formatDateTime } from '../../../lib/format';
import { formatPhone } from '../../../lib/phone';
import { useOnline } from '../../../lib/use-online';
import { usePageTitle } from '../../../lib/use-page-title';
import { useSession } from '../../../lib/session';
import { useAddNote, useLead, useLeadFollowUps, useLeadNotes, useUpdateLead } from '../api/leads';
import { FollowUpDialog } from '../components/follow-up-dialog';
import { CallLink, statusLabel } from '../components/lead-list';

/** One lead: call, status, the notes timeline with a box to add one, and its open follow-ups. */
export function LeadPage() {
  const { id = '' } = useParams();
  const lead = useLead(id);
  usePageTitle(lead.data?.firstName ?? 'Lead');
  if (lead.isPending) return <Spinner label="Loading the lead…" />;
  if (lead.isError) return <ErrorState error={lead.error} retry={() => void lead.refetch()} />;
  return <LeadDetail id={id} />;
}

function LeadDetail({ id }: { id: string }) {
  const session = useSession();
  const online = useOnline();
  const readOnly = session.status === 'offline' || !online;
  const lead = useLead(id).data!;
  const notes = useLeadNotes(id);
  const followUps = useLeadFollowUps(id);
  const addNote = useAddNote(id);
  const update = useUpdateLead();
  const toast = useToast();
  const [draft, setDraft] = useState('');
  const [followingUp, setFollowingUp] = useState(false);
  const tooLong = draft.trim().length > 1000;

  return (
    <Page
      title={lead.firstName}
      actions={
        <Link className="btn btn-ghost" to="/leads">
          ← {session.user?.role === 'admin' ? 'Leads' : 'My leads'}
        </Link>
      }
    >
      <section className="card lead-card" aria-label="Lead">
        <p className="lead-phone-lg" data-testid="lead-phone">
          {formatPhone(lead.phone)}
        </p>
        <p className="muted">
          {lead.agentName ? `${lead.agentName} · ` : ''}Assigned {formatDateTime(lead.assignedAt)}
        </p>
        <div className="lead-actions">
          <CallLink lead={lead} />
          <select
            aria-label={`Status of ${lead.firstName}`}
            className={`status-select status-${lead.status}`}
            value={lead.status}
            disabled={readOnly}
            onChange={(e) =>
              update.mutate(
                { id: lead.id, patch: { status: e.target.value as LeadStatus } },
                { onError: (err) => toast(errorMessage(err), { tone: 'error' }) },
              )
            }
          >
            {leadStatuses.map((s) => (
              <option key={s} value={s}>
                {statusLabel[s]}
              </option>
            ))}
          </select>
          <Button className="tap-target" disabled={readOnly} onClick={() => setFollowingUp(true)}>
            Follow up
          </Button>
        </div>
      </section>

      <section className="card" aria-labelledby="follow-ups-title">
        <h2 id="follow-ups-title">Open follow-ups</h2>
        {followUps.data?.length ? (
          <ul className="follow-ups" data-testid="follow-ups">
            {followUps.data.map((t) => (
              <li key={t.id}>
                <Link to={`/tasks?q=${encodeURIComponent(t.title)}`}>{t.title}</Link>
                {t.dueDate && <span className="muted"> · due {formatDateTime(t.dueDate)}</span>}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">{followUps.isPending ? 'Loading…' : 'None open.'}</p>
        )}
      </section>

      <section className="card" aria-labelledby="notes-title">
        <h2 id="notes-title">Notes</h2>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            const body = draft.trim();
            if (!body || tooLong || addNote.isPending) return;
            addNote.mutate(body, {
              onSuccess: () => {
                setDraft('');
                toast('Note added', { tone: 'success', ms: 2500 });
              },
              onError: (err) => toast(errorMessage(err), { tone: 'error' }),
            });
          }}
        >
          <Field
            label="Add a note"
            error={tooLong ? 'Notes are at most 1000 characters' : undefined}
            hint={`${draft.trim().length}/1000`}
          >
            <textarea rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} disabled={readOnly} />
          </Field>
          <Button
            type="submit"
            variant="primary"
            busy={addNote.isPending}
            disabled={readOnly || !draft.trim() || tooLong}
          >
            Add note
          </Button>
        </form>
        <ol className="timeline" data-testid="notes-timeline" aria-label="Notes, newest first">
          {notes.data?.map((n) => (
            <li key={n.id} className="timeline-entry">
              <p>{n.body}</p>
              <p className="muted">
                {n.authorName ?? 'From the imported file'} ·{' '}
                <time dateTime={n.createdAt}>{formatDateTime(n.createdAt)}</time>
              </p>
            </li>
          ))}
          {notes.data?.length === 0 && <li className="muted">No notes yet.</li>}
        </ol>
      </section>
      <FollowUpDialog
        lead={followingUp ? lead : null}
        onClose={() => setFollowingUp(false)}
        onCreated={(task) => toast(`Task created: “${task.title}”`, { tone: 'success' })}
      />
    </Page>
  );
}
