import type { Role } from '@crewdesk/contracts';
import { Navigate } from 'react-router';
import { useSession } from '../lib/session';

/** Where a signed-in user starts: agents on the leads they call (My leads), everyone else on Tasks. */
export const homeFor = (role: Role | undefined) => (role === 'agent' ? '/leads' : '/tasks');

export function HomeRedirect() {
  const session = useSession();
  return <Navigate to={homeFor(session.user?.role)} replace />;
}
