import { describe, expect, it } from 'vitest';
import { dueFor, fromLocalInput } from './follow-up-times';

// Local times, as the agent reads them (new Date(y, m, d, h) is local).
const at = (d: number, h: number, m = 0) => new Date(2026, 11, d, h, m);

describe('follow-up quick choices', () => {
  it('tomorrow morning is 09:00 the next day, whatever the time now', () => {
    expect(dueFor('tomorrow-morning', at(2, 8, 15))).toEqual(at(3, 9));
    expect(dueFor('tomorrow-morning', at(2, 23, 50))).toEqual(at(3, 9));
  });
  it('in 3 days is 09:00 three days on, across a month end', () => {
    expect(dueFor('in-3-days', at(30, 14))).toEqual(new Date(2027, 0, 2, 9));
  });
  it('later today is three hours on, and late at night an hour on, still today', () => {
    expect(dueFor('later-today', at(2, 10, 30))).toEqual(at(2, 13, 30));
    const late = dueFor('later-today', at(2, 22, 0));
    expect(late).toEqual(at(2, 23));
    expect(dueFor('later-today', at(2, 23, 30)).getDate()).toBe(2);
  });
  it('reads a picked date and time as local, and refuses anything else', () => {
    expect(fromLocalInput('2026-12-05T16:45')).toEqual(at(5, 16, 45));
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('tomorrow')).toBeNull();
  });
});
