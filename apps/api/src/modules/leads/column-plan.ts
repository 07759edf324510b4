import { createHash } from 'node:crypto';
import { requiredColumnTargets, type ColumnMapping, type ColumnTarget, type ImportColumn } from '@crewdesk/contracts';
import { AppError } from '../../shared/errors.js';

/**
 * Which column of a lead file becomes which lead field. The admin's choice (the mapping sent with
 * the upload) comes first, then the choice saved for files with the same headers, then the header's
 * name ("Mobile No" is a phone); a column none of them places is not imported, and the report says so.
 */

/** The fields a single column fills. */
type FieldTarget = 'firstName' | 'phone' | 'notes';
const FIELDS: FieldTarget[] = ['firstName', 'phone', 'notes'];
/** How the page names the fields (and so do the messages). */
export const FIELD_LABELS: Record<FieldTarget, string> = { firstName: 'First name', phone: 'Phone', notes: 'Notes' };

const ALIASES: Record<FieldTarget, string[]> = {
  firstName: ['firstname', 'first', 'name', 'fname', 'givenname'],
  phone: [
    'phone',
    'mobile',
    'phonenumber',
    'mobilenumber',
    'phoneno',
    'mobileno',
    'cell',
    'cellphone',
    'contactnumber',
    'telephone',
    'tel',
  ],
  notes: ['notes', 'note', 'comments', 'comment', 'remarks', 'description'],
};

/** "First Name", "first_name", "\uFEFFFirstName" and "FIRSTNAME" all name the same column. */
export const normaliseHeader = (h: string) =>
  h
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/[\s_\-.]/g, '');

/** A header cell as the admin reads it. */
export const headerName = (h: string) => h.replace(/^\uFEFF/, '').trim();

/** Files with the same columns in the same order share a saved mapping. */
export const headerKey = (header: string[]) =>
  createHash('sha256')
    .update(JSON.stringify(header.map(normaliseHeader)))
    .digest('hex');

export interface ColumnPlan {
  /** The header's names, as the file has them. */
  header: string[];
  targets: ColumnTarget[];
  sources: ImportColumn['source'][];
  /** Required fields no column fills. */
  missing: (typeof requiredColumnTargets)[number][];
}

/** The column each field takes by its header alone: the best-ranked alias wins, as before mapping existed. */
function byHeader(header: string[]): Map<number, FieldTarget> {
  const normalised = header.map(normaliseHeader);
  const found = new Map<number, FieldTarget>();
  for (const field of FIELDS) {
    for (const alias of ALIASES[field]) {
      const i = normalised.indexOf(alias);
      if (i >= 0 && !found.has(i)) {
        found.set(i, field);
        break;
      }
    }
  }
  return found;
}

const mappingError = (errors: { path: string; message: string }[]) =>
  new AppError('validation', errors.map((e) => e.message).join('; '), { errors });

export function planColumns(rawHeader: string[], requested?: ColumnMapping, saved?: ColumnTarget[]): ColumnPlan {
  const header = rawHeader.map(headerName);
  const targets: (ColumnTarget | undefined)[] = header.map(() => undefined);
  const sources: ImportColumn['source'][] = header.map(() => 'none');

  if (requested) {
    const unknown = Object.keys(requested).filter((name) => !header.includes(name));
    if (unknown.length) {
      throw mappingError(
        unknown.map((name) => ({ path: `mapping.${name}`, message: `The file has no column "${name}"` })),
      );
    }
    for (const [name, target] of Object.entries(requested)) {
      const i = header.indexOf(name);
      targets[i] = target;
      sources[i] = 'request';
    }
    const twice = FIELDS.flatMap((field) => {
      const names = header.filter((_, i) => targets[i] === field);
      return names.length > 1
        ? [
            {
              path: 'mapping',
              message: `${FIELD_LABELS[field]} is chosen for more than one column: ${names.join(', ')}`,
            },
          ]
        : [];
    });
    if (twice.length) throw mappingError(twice);
  }

  const taken = new Set(targets.filter((t): t is ColumnTarget => t !== undefined));
  const place = (i: number, target: ColumnTarget, source: ImportColumn['source']) => {
    if (targets[i] !== undefined) return;
    // A field another column already fills stays with that column.
    if (FIELDS.includes(target as FieldTarget) && taken.has(target)) return;
    targets[i] = target;
    sources[i] = source;
    taken.add(target);
  };
  if (saved && saved.length === header.length) saved.forEach((target, i) => place(i, target, 'saved'));
  for (const [i, field] of byHeader(header)) place(i, field, 'header');

  const final = targets.map((t) => t ?? 'skip');
  return {
    header,
    targets: final,
    sources,
    missing: requiredColumnTargets.filter((field) => !final.includes(field)),
  };
}

/** The 400 for a real import that lacks a required field; a check answers with the columns instead. */
export function missingColumnsError(plan: ColumnPlan): AppError {
  const names = plan.missing.map((f) => FIELD_LABELS[f]);
  return new AppError('validation', `No column of the file is chosen for ${names.join(' or ')}`, {
    errors: plan.missing.map((f) => ({
      path: 'mapping',
      message: `Choose the column that holds ${FIELD_LABELS[f]} (headers such as ${ALIASES[f].slice(0, 3).join(', ')} are found by themselves)`,
    })),
  });
}
