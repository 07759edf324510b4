import type { Agent } from '@crewdesk/contracts';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { plural } from '../../../lib/format';
import { useRedistribute, useRedistributionPlan } from '../api/agents';

/** "3 to Asha, 2 to Ravi": the plan a redistribution would carry out, asked of the server (a dry run). */
export function RedistributionPlan({ agentId }: { agentId: string }) {
  const plan = useRedistributionPlan(agentId);
  if (plan.isPending) return <p className="muted">Working out who takes them…</p>;
  if (plan.isError) return <p className="field-error">{errorMessage(plan.error)}</p>;
  if (plan.data.distribution.length === 0) return <p className="muted">There is no other active agent to take them.</p>;
  return (
    <ul className="plan" data-testid="redistribution-plan">
      {plan.data.distribution.map((d) => (
        <li key={d.agentId}>
          {plural(d.count, 'lead')} to {d.agentName}
        </li>
      ))}
    </ul>
  );
}

/** Moving a (deactivated) agent's open leads: the plan first, then the admin confirms. */
export function MoveLeadsDialog({ agent, onClose }: { agent: Agent | null; onClose: () => void }) {
  const redistribute = useRedistribute();
  const toast = useToast();
  const confirm = () => {
    if (!agent) return;
    redistribute.mutate(
      { fromAgentId: agent.id },
      {
        onSuccess: (r) => {
          toast(
            `Moved ${plural(r.moved, 'open lead')} from ${agent.name}: ${r.distribution
              .map((d) => `${d.count} to ${d.agentName}`)
              .join(', ')}`,
            { tone: 'success' },
          );
          onClose();
        },
        onError: (e) => toast(errorMessage(e), { tone: 'error' }),
      },
    );
  };
  return (
    <Dialog
      open={agent !== null}
      title={`Move ${agent?.name ?? ''}’s open leads?`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" busy={redistribute.isPending} onClick={confirm}>
            Move {agent ? plural(agent.openLeads, 'lead') : ''}
          </Button>
        </>
      }
    >
      <p>{agent ? plural(agent.openLeads, 'open lead') : ''} go to the other active agents in fair shares:</p>
      {agent && <RedistributionPlan agentId={agent.id} />}
    </Dialog>
  );
}
