/** Query keys shared across features, so one feature's writes can refresh another's reads. */
export const tasksKey = ['tasks'] as const;
export const statsKey = ['task-stats'] as const;
export const agentsKey = ['agents'] as const;
export const leadsKey = ['leads'] as const;
export const importsKey = ['lead-imports'] as const;
export const usersKey = ['users'] as const;
