import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { agentsKey, importsKey, usersKey } from '../../../lib/query-keys';

type Page = { items: unknown[]; nextCursor: string | null };
const first = (path: string, query: Record<string, string | number>) => api<Page>(path, { query });

/**
 * The real data behind each step of "Get started", under the keys the agents, imports and users
 * pages write to, so creating an agent (here or in another tab, through live updates) ticks its step.
 */
export function useGetStartedProgress() {
  const agents = useQuery({
    queryKey: [...agentsKey, 'get-started'],
    queryFn: async () => (await first('/api/v1/agents', { limit: 1 })).items.length > 0,
  });
  const imports = useQuery({
    queryKey: [...importsKey, 'get-started'],
    queryFn: async () => (await first('/api/v1/lead-imports', { limit: 1 })).items.length > 0,
  });
  const team = useQuery({
    queryKey: [...usersKey, 'get-started'],
    // The team is anyone besides the agents and this first admin: a member, or a second admin.
    queryFn: async () => {
      const [members, admins] = await Promise.all([
        first('/api/v1/users', { role: 'member', limit: 1 }),
        first('/api/v1/users', { role: 'admin', limit: 2 }),
      ]);
      return members.items.length > 0 || admins.items.length > 1;
    },
  });
  return { agents, imports, team };
}
