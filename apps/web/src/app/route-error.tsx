import { isRouteErrorResponse, Link, useRouteError } from 'react-router';

export function RouteError() {
  const error = useRouteError();
  const chunkFailed = error instanceof TypeError && /dynamically imported module|Failed to fetch/i.test(error.message);
  return (
    <main className="center-state" role="alert">
      <h1>{isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : 'Something went wrong'}</h1>
      <p className="muted">
        {chunkFailed
          ? 'This page could not be loaded. You may be offline, or Crewdesk was updated.'
          : 'An unexpected error stopped this page.'}
      </p>
      <p>
        <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
          Reload
        </button>{' '}
        <Link to="/tasks">Go to tasks</Link>
      </p>
    </main>
  );
}
