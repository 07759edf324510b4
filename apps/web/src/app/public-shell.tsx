import { Navigate, Outlet, useLocation, useSearchParams } from 'react-router';
import { Spinner } from '../components/states';
import { useSession } from '../lib/session';
import { homeFor } from './home';

/** Sign-in pages; a signed-in user is sent on to where they were going. */
export function PublicShell() {
  const session = useSession();
  const [params] = useSearchParams();
  const location = useLocation();
  if (session.status === 'loading') return <Spinner label="Opening Crewdesk…" />;
  if (session.status === 'authenticated' && location.pathname !== '/setup') {
    const next = params.get('next');
    return (
      <Navigate to={next?.startsWith('/') && !next.startsWith('//') ? next : homeFor(session.user?.role)} replace />
    );
  }
  return (
    <main id="main" className="auth-layout">
      <div className="auth-card">
        <div className="brand brand-lg">
          <img src="/favicon.svg" alt="" width="32" height="32" /> Crewdesk
        </div>
        <Outlet />
      </div>
    </main>
  );
}
