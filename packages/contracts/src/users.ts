import { z } from 'zod';
import { email, id, isoDateTime, page, pageQuery, password, personName } from './common.js';

export const roles = ['admin', 'agent', 'member'] as const;
export const role = z.enum(roles).meta({
  id: 'Role',
  description: 'admin manages users, agents and leads; agent works the leads assigned to them; member has tasks only.',
});
export type Role = z.infer<typeof role>;

/** E.164 as stored; the API normalises what people type (spaces, dashes, national format). */
export const mobileInput = z.string().trim().min(3, 'Enter a phone number with its country code').max(32);

export const user = z
  .object({
    id,
    email: z.string(),
    name: z.string(),
    mobile: z.string().nullable(),
    role,
    active: z.boolean(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'User', description: 'An account.' });
export type User = z.infer<typeof user>;

export const createUserBody = z
  .strictObject({
    email,
    name: personName,
    password,
    role: role.default('member'),
    mobile: mobileInput.optional(),
  })
  .meta({ id: 'CreateUserBody', description: 'A new account, created by an admin.' });

export const updateUserBody = z
  .strictObject({
    role: role.optional(),
    active: z.boolean().optional(),
    name: personName.optional(),
    mobile: mobileInput.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change' })
  .meta({
    id: 'UpdateUserBody',
    description: 'The fields to change (at least one). A role change or deactivation ends the user’s sessions.',
    minProperties: 1,
  });

export const updateMeBody = z
  .strictObject({
    name: personName.optional(),
    mobile: mobileInput.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change' })
  .meta({ id: 'UpdateMeBody', description: 'The fields of your profile to change (at least one).', minProperties: 1 });

export const listUsersQuery = z.strictObject({
  ...pageQuery,
  role: role.optional(),
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  q: z.string().trim().min(1).max(100).optional(),
});

export const userPage = page(user).meta({ id: 'UserPage', description: 'A page of users.' });

export type CreateUserBody = z.infer<typeof createUserBody>;
export type UpdateUserBody = z.infer<typeof updateUserBody>;
export type UpdateMeBody = z.infer<typeof updateMeBody>;
export type ListUsersQuery = z.infer<typeof listUsersQuery>;
