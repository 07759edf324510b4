import { sql } from 'drizzle-orm';
import { boolean, check, jsonb, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The workspace's settings, one row (id 1) that exists once an admin has saved them; until then the
 * environment's defaults (DEFAULT_PHONE_REGION, ALLOW_REGISTRATION) apply.
 */
export const workspaceSettings = pgTable(
  'workspace_settings',
  {
    id: smallint('id').primaryKey().default(1),
    /** ISO 3166-1 alpha-2; null: numbers must carry their country code. */
    defaultPhoneCountry: text('default_phone_country'),
    publicSignup: boolean('public_signup').notNull(),
    updatedBy: uuid('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('workspace_settings_one_row', sql`${t.id} = 1`)],
);

export type ImportColumnTarget = 'firstName' | 'phone' | 'notes' | 'appendToNotes' | 'skip';

/** The column matching an admin confirmed, by the file's normalised header list: the next such file starts from it. */
export const importColumnMappings = pgTable('import_column_mappings', {
  headerKey: text('header_key').primaryKey(),
  /** One target per column of the header, in its order. */
  targets: jsonb('targets').$type<ImportColumnTarget[]>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
