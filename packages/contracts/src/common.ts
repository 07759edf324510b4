import { z } from 'zod';

export const id = z.uuid();
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');
/**
 * An ISO-8601 time with its offset, between the years 1 and 9999 in UTC: PostgreSQL has no year 0,
 * and a later instant would have no four-digit ISO form to be sent back in.
 */
export const isoDateTime = z.iso.datetime({ offset: true }).refine((value) => {
  const at = Date.parse(value);
  return at >= FIRST_INSTANT && at <= LAST_INSTANT;
}, 'Use a date between the years 0001 and 9999');

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;
/** An IANA time zone name the runtime knows (`Asia/Kolkata`, `UTC`), as a browser reports its own. */
export const timeZone = z
  .string()
  .max(64)
  .refine((value) => {
    if (!ZONE_NAME.test(value)) return false;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }, 'Send an IANA time zone such as Asia/Kolkata')
  .meta({ description: 'An IANA time zone, e.g. Asia/Kolkata', example: 'Asia/Kolkata' });

/** Keyset pagination shared by every list endpoint. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
};

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const email = z.email('Enter a valid email address').max(254).toLowerCase();
/** Length is the only composition rule (NIST 800-63B); the server also refuses common passwords. */
export const password = z.string().min(8, 'Use at least 8 characters').max(256, 'Use at most 256 characters');
export const personName = z.string().trim().min(1, 'Enter a name').max(100, 'Use at most 100 characters');

export const idParams = z.strictObject({ id });

/** RFC 9457 problem details, the body of every error answer. */
export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('One entry per invalid field: its path (dots between levels) and what is wrong with it'),
  })
  .meta({
    id: 'Problem',
    description:
      'RFC 9457 problem details (application/problem+json): `type` is a stable URN per kind of error, `title` its summary, `detail` this occurrence.',
  });
export type Problem = z.infer<typeof problem>;
