import { Link } from 'react-router';
import { usePageTitle } from '../lib/use-page-title';

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <div className="center-state">
      <h1>Page not found</h1>
      <p className="muted">There is nothing at this address.</p>
      <Link to="/tasks">Go to your tasks</Link>
    </div>
  );
}
