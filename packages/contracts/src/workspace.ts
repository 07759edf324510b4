import { z } from 'zod';

export const workspaceSettings = z
  .object({
    defaultPhoneCountry: z
      .string()
      .nullable()
      .describe('ISO 3166-1 alpha-2 country of numbers written without a country code; null: every number needs one'),
    publicSignup: z.boolean().describe('Whether anyone may create an account (role member) from the sign-in page'),
    phoneExample: z
      .object({ national: z.string(), international: z.string() })
      .nullable()
      .describe('A mobile number of the default country, as people write it locally and internationally'),
  })
  .meta({ id: 'WorkspaceSettings', description: 'Settings that apply to the whole workspace.' });
export type WorkspaceSettings = z.infer<typeof workspaceSettings>;

export const updateWorkspaceSettingsBody = z
  .strictObject({
    defaultPhoneCountry: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, 'Use a two-letter country code (ISO 3166-1), for example IN or US')
      .nullable()
      .optional(),
    publicSignup: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one setting to change' })
  .meta({
    id: 'UpdateWorkspaceSettingsBody',
    description: 'The settings to change (at least one).',
    minProperties: 1,
  });
export type UpdateWorkspaceSettingsBody = z.infer<typeof updateWorkspaceSettingsBody>;
