import type { ReactNode } from 'react';
import { errorMessage } from '../lib/api-errors';
import { Button } from './button';

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="center-state" role="status">
      <span className="spinner" aria-hidden="true" />
      <span className="muted">{label}</span>
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="center-state empty">
      <h2>{title}</h2>
      {children && <p className="muted">{children}</p>}
      {action}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="center-state" role="alert">
      <h2>Could not load this</h2>
      <p className="muted">{errorMessage(error)}</p>
      {retry && <Button onClick={retry}>Try again</Button>}
    </div>
  );
}
