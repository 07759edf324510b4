import type { Lead } from '@crewdesk/contracts';
import { useEffect, useState } from 'react';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { Field } from '../../../components/field';

export function NotesDialog({
  lead,
  onSave,
  onClose,
}: {
  lead: Lead | null;
  onSave: (lead: Lead, notes: string) => void;
  onClose: () => void;
}) {
  const [notes, setNotes] = useState('');
  useEffect(() => setNotes(lead?.notes ?? ''), [lead]);
  const tooLong = notes.length > 1000;
  return (
    <Dialog open={lead !== null} title={`Notes on ${lead?.firstName ?? ''}`} onClose={onClose}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (lead && !tooLong) onSave(lead, notes.trim());
        }}
      >
        <Field
          label="Notes"
          error={tooLong ? 'Notes are at most 1000 characters' : undefined}
          hint={`${notes.length}/1000`}
        >
          <textarea rows={6} value={notes} onChange={(e) => setNotes(e.target.value)} autoFocus />
        </Field>
        <div className="dialog-footer">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={tooLong}>
            Save notes
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
