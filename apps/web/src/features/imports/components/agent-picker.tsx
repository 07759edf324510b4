import type { Agent } from '@crewdesk/contracts';
import { Link } from 'react-router';

/** The active agents to share the leads among, all ticked at first; a notice when there are none. */
export function AgentPicker({
  agents,
  selected,
  onChange,
}: {
  agents: Agent[] | undefined;
  selected: Set<string>;
  onChange: (selected: Set<string>) => void;
}) {
  if (!agents) return null;
  if (agents.length === 0)
    return (
      <p className="notice">
        There are no active agents yet. <Link to="/admin/agents">Create agents</Link> before importing.
      </p>
    );
  return (
    <fieldset className="agent-picker">
      <legend>Distribute among</legend>
      {agents.map((a) => (
        <label key={a.id} className="check-label">
          <input
            type="checkbox"
            checked={selected.has(a.id)}
            onChange={(e) => {
              const next = new Set(selected);
              if (e.target.checked) next.add(a.id);
              else next.delete(a.id);
              onChange(next);
            }}
          />
          {a.name} <span className="muted">({a.openLeads} open)</span>
        </label>
      ))}
    </fieldset>
  );
}
