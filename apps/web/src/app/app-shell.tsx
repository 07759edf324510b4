import { lazy, Suspense, useEffect, useState } from 'react';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { useSaveOutcomes, useWaitingSaves } from '../components/pending-saves';
import { Spinner } from '../components/states';
import { signOut } from '../features/auth';
import { useGetStartedDismissed } from '../lib/get-started';
import { useOnline } from '../lib/use-online';
import { useSession } from '../lib/session';

// Its own chunk; should it fail to load, the app works as it would without live updates.
const LiveUpdates = lazy(() => import('./live-updates').catch(() => ({ default: () => null })));

const links = [
  { to: '/get-started', label: 'Get started', roles: ['admin'] },
  { to: '/tasks', label: 'Tasks', roles: null },
  { to: '/dashboard', label: 'Dashboard', roles: null },
  { to: '/leads', label: 'My leads', roles: ['agent'] },
  { to: '/leads', label: 'Leads', roles: ['admin'] },
  { to: '/admin/import', label: 'Import', roles: ['admin'] },
  { to: '/admin/agents', label: 'Agents', roles: ['admin'] },
  { to: '/admin/users', label: 'Users', roles: ['admin'] },
  { to: '/settings', label: 'Settings', roles: null },
] as const;

/** The signed-in frame: navigation for the user's role, the offline banner, live updates, and the page. */
export function AppShell() {
  const session = useSession();
  const location = useLocation();
  const online = useOnline();
  const getStartedDismissed = useGetStartedDismissed(session.user?.id);
  const waitingSaves = useWaitingSaves();
  useSaveOutcomes();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [location.pathname]);

  if (session.status === 'loading') return <Spinner label="Opening Crewdesk…" />;
  if (session.status === 'anonymous') {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  const role = session.user?.role;
  const hidden = (to: string) => to === '/get-started' && getStartedDismissed;
  const offline = session.status === 'offline' || !online;

  return (
    <div className="shell">
      {/* Live updates from the server for as long as the user is signed in here. */}
      <Suspense fallback={null}>
        <LiveUpdates />
      </Suspense>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon-btn menu-btn"
          aria-label="Menu"
          aria-expanded={menuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          ☰
        </button>
        <span className="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" /> Crewdesk
        </span>
        <nav id="nav" className={`nav ${menuOpen ? 'nav-open' : ''}`} aria-label="Main">
          {links
            .filter((l) => !l.roles || (role && (l.roles as readonly string[]).includes(role)))
            .filter((l) => !hidden(l.to))
            .map((l) => (
              <NavLink
                key={`${l.to}-${l.label}`}
                to={l.to}
                className={({ isActive }) => `nav-link ${isActive ? 'active' : ''}`}
              >
                {l.label}
              </NavLink>
            ))}
        </nav>
        <div className="topbar-user">
          {session.user && (
            <span className="muted user-name" title={session.user.email}>
              {session.user.name}
            </span>
          )}
          {session.status === 'authenticated' && (
            <button type="button" className="btn btn-ghost" onClick={() => void signOut()}>
              Sign out
            </button>
          )}
        </div>
      </header>
      {offline && (
        <div className="offline-banner" role="status">
          You are offline. Showing what was last loaded; changes are disabled until the connection is back.
          {waitingSaves > 0 &&
            ` ${waitingSaves === 1 ? '1 change is' : `${waitingSaves} changes are`} waiting to be saved when it is.`}
        </div>
      )}
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
