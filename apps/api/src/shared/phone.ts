import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; message: string };

/** Normalise what people type ("(415) 555-0100", "+91 98765 43210") to E.164. */
export function normalisePhone(input: string, defaultRegion: string | null): PhoneResult {
  const text = input.trim();
  if (!text) return { ok: false, message: 'Phone number is required' };
  const international = text.startsWith('+') || text.startsWith('00');
  if (!international && !defaultRegion) {
    return { ok: false, message: 'Add the country code (for example +1 415 555 0100)' };
  }
  const phone = parsePhoneNumberFromString(
    text.startsWith('00') ? `+${text.slice(2)}` : text,
    (defaultRegion ?? undefined) as CountryCode | undefined,
  );
  if (!phone || !phone.isValid()) return { ok: false, message: 'Not a valid phone number' };
  return { ok: true, e164: phone.number };
}
