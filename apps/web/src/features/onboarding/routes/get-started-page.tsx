import type { UseQueryResult } from '@tanstack/react-query';
import { Link, Navigate, useNavigate } from 'react-router';
import { Button } from '../../../components/button';
import { Page } from '../../../components/page';
import { setGetStartedDismissed } from '../../../lib/get-started';
import { useSession } from '../../../lib/session';
import { usePageTitle } from '../../../lib/use-page-title';
import { useGetStartedProgress } from '../api/progress';

interface Step {
  title: string;
  text: string;
  to: string;
  action: string;
  doneText: string;
  state: UseQueryResult<boolean>;
}

function StepItem({ step, number }: { step: Step; number: number }) {
  const done = step.state.data === true;
  const status = step.state.isPending ? 'Checking…' : step.state.isError ? 'Could not check' : done ? 'Done' : 'To do';
  return (
    <li className={`checklist-item ${done ? 'checklist-done' : ''}`}>
      <span className="checklist-mark" aria-hidden="true">
        {done ? '✓' : number}
      </span>
      <div className="checklist-text">
        <h2>
          {step.title} <span className={`badge ${done ? 'badge-done' : ''}`}>{status}</span>
        </h2>
        <p className="muted">{done ? step.doneText : step.text}</p>
      </div>
      <Link className={`btn ${done ? 'btn-secondary' : 'btn-primary'}`} to={step.to}>
        {step.action}
      </Link>
    </li>
  );
}

/** Where the first admin lands after setup: three steps to a working team, each ticked from real data. */
export function GetStartedPage() {
  usePageTitle('Get started');
  const { user } = useSession();
  const navigate = useNavigate();
  const progress = useGetStartedProgress();
  if (user && user.role !== 'admin') return <Navigate to="/tasks" replace />;

  const steps: Step[] = [
    {
      title: 'Add agents',
      text: 'Agents receive the leads you import and call them from their phones.',
      doneText: 'Your agents are ready to receive leads.',
      to: '/admin/agents',
      action: 'Add agents',
      state: progress.agents,
    },
    {
      title: 'Import leads',
      text: 'Upload a CSV or Excel file; its leads are shared fairly among the active agents.',
      doneText: 'Leads are in and shared among your agents.',
      to: '/admin/import',
      action: 'Import leads',
      state: progress.imports,
    },
    {
      title: 'Invite the team',
      text: 'Give the people who follow up or manage with you an account of their own.',
      doneText: 'Your team has its accounts.',
      to: '/admin/users',
      action: 'Invite the team',
      state: progress.team,
    },
  ];
  const remaining = steps.filter((s) => s.state.data !== true).length;
  const dismiss = () => {
    if (user) setGetStartedDismissed(user.id, true);
    void navigate('/dashboard');
  };

  return (
    <Page title="Get started">
      <p className="muted" aria-live="polite">
        {remaining === 0
          ? 'You are all set: every step is done.'
          : `${3 - remaining} of 3 done. Each step ticks itself once it is done.`}
      </p>
      <ol className="checklist">
        {steps.map((step, i) => (
          <StepItem key={step.title} step={step} number={i + 1} />
        ))}
      </ol>
      <div>
        <Button onClick={dismiss}>{remaining === 0 ? 'Close the checklist' : 'Dismiss the checklist'}</Button>
      </div>
    </Page>
  );
}
