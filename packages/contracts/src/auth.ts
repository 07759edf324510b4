import { z } from 'zod';
import { email, id, isoDateTime, password, personName } from './common.js';
import { user } from './users.js';

export const registerBody = z
  .strictObject({ email, password, name: personName })
  .meta({ id: 'RegisterBody', description: 'A new account; its role is always member.' });
export const loginBody = z
  .strictObject({ email, password: z.string().min(1, 'Enter your password').max(256) })
  .meta({ id: 'LoginBody', description: 'Email and password.' });
export const setupBody = z
  .strictObject({ token: z.string().min(1).max(200), email, password, name: personName })
  .meta({ id: 'SetupBody', description: 'The one-time setup token printed at start, and the first admin.' });

export const authResponse = z
  .object({
    user,
    accessToken: z.string(),
    expiresIn: z.number().int().describe('Seconds until the access token expires'),
  })
  .meta({
    id: 'AuthResponse',
    description: 'The signed-in user and an access token; the refresh token travels only in the HttpOnly cookie.',
  });
export const refreshResponse = z
  .object({ accessToken: z.string(), expiresIn: z.number().int().describe('Seconds until the access token expires') })
  .meta({ id: 'RefreshResponse', description: 'A new access token.' });

export const changePasswordBody = z
  .strictObject({
    currentPassword: z.string().min(1, 'Enter your current password').max(256),
    newPassword: password,
  })
  .meta({ id: 'ChangePasswordBody', description: 'The current password and the new one.' });

export const session = z
  .object({
    id,
    createdAt: isoDateTime,
    lastUsedAt: isoDateTime,
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean().describe('Whether this is the session making the request'),
  })
  .meta({ id: 'Session', description: 'One signed-in device (a refresh-token family).' });
export const sessionList = z
  .object({ items: z.array(session) })
  .meta({ id: 'SessionList', description: 'Every live session of the account.' });

export const setupStatus = z
  .object({ setupRequired: z.boolean(), registrationOpen: z.boolean() })
  .meta({ id: 'SetupStatus', description: 'Whether first-admin setup is pending and whether sign-up is open.' });

export type RegisterBody = z.infer<typeof registerBody>;
export type LoginBody = z.infer<typeof loginBody>;
export type SetupBody = z.infer<typeof setupBody>;
export type AuthResponse = z.infer<typeof authResponse>;
export type Session = z.infer<typeof session>;
