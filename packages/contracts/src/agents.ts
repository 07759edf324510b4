import { z } from 'zod';
import { email, id, isoDateTime, page, pageQuery, password, personName } from './common.js';
import { mobileInput } from './users.js';

export const agent = z
  .object({
    id,
    name: z.string(),
    email: z.string(),
    mobile: z.string().nullable(),
    active: z.boolean(),
    createdAt: isoDateTime,
    openLeads: z.number().int(),
    totalLeads: z.number().int(),
  })
  .meta({ id: 'Agent', description: 'A user with role agent, with the leads they hold.' });
export type Agent = z.infer<typeof agent>;

export const createAgentBody = z
  .strictObject({
    name: personName,
    email,
    mobile: mobileInput,
    password,
  })
  .meta({ id: 'CreateAgentBody', description: 'A new agent; the mobile is stored in E.164.' });

export const updateAgentBody = z
  .strictObject({
    name: personName.optional(),
    mobile: mobileInput.optional(),
    active: z.boolean().optional(),
    password: password.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change' })
  .meta({
    id: 'UpdateAgentBody',
    description: 'The fields to change (at least one); deactivation ends the agent’s sessions.',
    minProperties: 1,
  });

export const listAgentsQuery = z.strictObject({
  ...pageQuery,
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  q: z.string().trim().min(1).max(100).optional(),
});

export const agentPage = page(agent).meta({ id: 'AgentPage', description: 'A page of agents.' });

export type CreateAgentBody = z.infer<typeof createAgentBody>;
export type UpdateAgentBody = z.infer<typeof updateAgentBody>;
export type ListAgentsQuery = z.infer<typeof listAgentsQuery>;
