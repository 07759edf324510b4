import type { Agent } from '@crewdesk/contracts';
import { useState } from 'react';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { useRedistribute, useUpdateAgent } from '../api/agents';
import { RedistributionPlan } from './move-leads-dialog';

/** Deactivating signs the agent out at once; their open leads can move to the others in the same step. */
export function DeactivateDialog({ agent, onClose }: { agent: Agent | null; onClose: () => void }) {
  const update = useUpdateAgent();
  const redistribute = useRedistribute();
  const toast = useToast();
  const [move, setMove] = useState(true);
  const busy = update.isPending || redistribute.isPending;

  async function confirm() {
    if (!agent) return;
    try {
      await update.mutateAsync({ id: agent.id, patch: { active: false } });
      let moved = 0;
      if (move && agent.openLeads > 0) moved = (await redistribute.mutateAsync({ fromAgentId: agent.id })).moved;
      toast(`${agent.name} deactivated${moved ? `; ${moved} open leads moved to other agents` : ''}`, {
        tone: 'success',
      });
      onClose();
    } catch (err) {
      toast(errorMessage(err), { tone: 'error' });
    }
  }

  return (
    <Dialog
      open={agent !== null}
      title={`Deactivate ${agent?.name ?? ''}?`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="danger" busy={busy} onClick={() => void confirm()}>
            Deactivate
          </Button>
        </>
      }
    >
      <p>They are signed out everywhere at once and receive no new leads.</p>
      {agent && agent.openLeads > 0 ? (
        <>
          <label className="check-label">
            <input type="checkbox" checked={move} onChange={(e) => setMove(e.target.checked)} />
            Move their {agent.openLeads} open lead{agent.openLeads === 1 ? '' : 's'} to the other active agents, in fair
            shares:
          </label>
          {move && <RedistributionPlan agentId={agent.id} />}
        </>
      ) : (
        <p className="muted">They hold no open leads.</p>
      )}
    </Dialog>
  );
}
