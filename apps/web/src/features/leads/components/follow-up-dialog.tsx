import type { Lead, Task } from '@crewdesk/contracts';
import { useState } from 'react';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { Field } from '../../../components/field';
import { errorMessage } from '../../../lib/api-errors';
import { formatDateTime } from '../../../lib/format';
import { dueFor, fromLocalInput, quickChoiceLabel, type QuickChoice } from '../../../lib/follow-up-times';
import { useFollowUp } from '../api/leads';

const choices = Object.keys(quickChoiceLabel) as QuickChoice[];

/**
 * "Follow up": when? One tap on a quick choice creates the task; "Pick a date" opens a date and
 * time field. While the create is on its way every choice is disabled, so a double tap makes one.
 */
export function FollowUpDialog({
  lead,
  onClose,
  onCreated,
}: {
  lead: Lead | null;
  onClose: () => void;
  onCreated: (task: Task, lead: Lead) => void;
}) {
  const followUp = useFollowUp();
  const [picking, setPicking] = useState(false);
  const [picked, setPicked] = useState('');
  const [error, setError] = useState<string | null>(null);
  const busy = followUp.isPending;

  const close = () => {
    setPicking(false);
    setPicked('');
    setError(null);
    onClose();
  };
  const create = (due: Date) => {
    if (!lead || busy) return;
    setError(null);
    followUp.mutate(
      { leadId: lead.id, dueDate: due.toISOString() },
      {
        onSuccess: (task) => {
          onCreated(task, lead);
          close();
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
  };
  const pickedDate = fromLocalInput(picked);

  return (
    <Dialog open={lead !== null} title={`Follow up with ${lead?.firstName ?? ''}`} onClose={close}>
      <div className="stack">
        <p className="muted">When should Crewdesk remind you?</p>
        <div className="quick-choices" role="group" aria-label="When">
          {choices.map((c) => (
            <Button key={c} className="quick-choice" disabled={busy} onClick={() => create(dueFor(c))}>
              <span>{quickChoiceLabel[c]}</span>
              <span className="muted quick-when">{formatDateTime(dueFor(c).toISOString())}</span>
            </Button>
          ))}
          <Button className="quick-choice" disabled={busy} aria-expanded={picking} onClick={() => setPicking(true)}>
            Pick a date
          </Button>
        </div>
        {picking && (
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              if (pickedDate) create(pickedDate);
            }}
          >
            <Field label="Date and time">
              <input type="datetime-local" value={picked} onChange={(e) => setPicked(e.target.value)} autoFocus />
            </Field>
            <Button type="submit" variant="primary" busy={busy} disabled={!pickedDate}>
              Create follow-up
            </Button>
          </form>
        )}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </Dialog>
  );
}
