import { z } from 'zod';
import { id, isoDateTime } from './common.js';
import { user } from './users.js';

export const email = z.email('Enter a valid email address').max(254).toLowerCase();
/** Length is the only composition rule (NIST 800-63B); the server also refuses common passwords. */
export const password = z.string().min(8, 'Use at least 8 characters').max(256);
export const personName = z.string().trim().min(1, 'Enter a name').max(100);

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
