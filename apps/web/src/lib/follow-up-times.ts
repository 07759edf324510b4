/** The quick choices "Follow up" offers, as local times: what a person means by each. */
export type QuickChoice = 'later-today' | 'tomorrow-morning' | 'in-3-days';

export const quickChoiceLabel: Record<QuickChoice, string> = {
  'later-today': 'Later today',
  'tomorrow-morning': 'Tomorrow morning',
  'in-3-days': 'In 3 days',
};

const MORNING = 9;

/**
 * Later today: three hours from now, but no later than 23:00 today (late in the evening it is an
 * hour from now). Tomorrow morning: 09:00 tomorrow. In 3 days: 09:00 three days from today.
 */
export function dueFor(choice: QuickChoice, now = new Date()): Date {
  const at = (days: number, hour: number) =>
    new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, hour, 0, 0, 0);
  if (choice === 'tomorrow-morning') return at(1, MORNING);
  if (choice === 'in-3-days') return at(3, MORNING);
  const inThree = new Date(now.getTime() + 3 * 3600_000);
  const lateEvening = at(0, 23);
  if (inThree <= lateEvening) return inThree;
  return new Date(Math.min(now.getTime() + 3600_000, at(1, 0).getTime() - 60_000));
}

/** A datetime-local input's value ("2026-12-03T09:00") as the local time it names. */
export function fromLocalInput(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi);
}
