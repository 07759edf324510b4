import { describe, expect, it } from 'vitest';
import { formatPhone } from './phone';

describe('phones as people read them', () => {
  it('formats stored E.164 numbers the international way, with the country code', () => {
    expect(formatPhone('+919845012345')).toBe('+91 98450 12345');
    expect(formatPhone('+14155552671')).toBe('+1 415 555 2671');
    expect(formatPhone('+442079460958')).toBe('+44 20 7946 0958');
  });
  it('shows what it cannot parse as it is, and nothing for no number', () => {
    expect(formatPhone('call me maybe')).toBe('call me maybe');
    expect(formatPhone(null)).toBe('');
  });
});
