import { z } from 'zod';
import { email, id, isoDateTime, password, personName } from './common.js';
import { user } from './users.js';

export const registerBody = z.strictObject({ email, password, name: personName });
export const loginBody = z.strictObject({ email, password: z.string().min(1, 'Enter your password').max(256) });
export const setupBody = z.strictObject({ token: z.string().min(1).max(200), email, password, name: personName });

export const authResponse = z.object({ user, accessToken: z.string(), expiresIn: z.number().int() });
export const refreshResponse = z.object({ accessToken: z.string(), expiresIn: z.number().int() });

export const changePasswordBody = z.strictObject({
  currentPassword: z.string().min(1, 'Enter your current password').max(256),
  newPassword: password,
});

export const session = z.object({
  id,
  createdAt: isoDateTime,
  lastUsedAt: isoDateTime,
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  current: z.boolean(),
});
export const sessionList = z.object({ items: z.array(session) });

export const setupStatus = z.object({ setupRequired: z.boolean(), registrationOpen: z.boolean() });

export type RegisterBody = z.infer<typeof registerBody>;
export type LoginBody = z.infer<typeof loginBody>;
export type SetupBody = z.infer<typeof setupBody>;
export type AuthResponse = z.infer<typeof authResponse>;
export type Session = z.infer<typeof session>;
