import {
  getExampleNumber,
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';

export type PhoneResult = { ok: true; e164: string } | { ok: false; message: string };

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
const countryName = (code: string) => regionNames.of(code) ?? code;

/** Whether `code` is an ISO 3166-1 alpha-2 country whose numbers libphonenumber knows. */
export const isPhoneCountry = (code: string): code is CountryCode => isSupportedCountry(code);

type PhoneExample = { national: string; international: string } | null;
/** Parsed once per country: every refused row of a file with a default country names one. */
const exampleOf = new Map<CountryCode, PhoneExample>();

/** A mobile number of the country, as written there and from abroad ("081234 56789", "+91 81234 56789"). */
export function phoneExample(country: string): PhoneExample {
  if (!isPhoneCountry(country)) return null;
  let example = exampleOf.get(country);
  if (example === undefined) {
    const number = getExampleNumber(country, examples);
    example = number ? { national: number.formatNational(), international: number.formatInternational() } : null;
    exampleOf.set(country, example);
  }
  return example;
}

/** Letters other than an extension ("x 12", "ext. 12"): words, not a number. */
const WORDS = /[a-z]/i;
const EXTENSION = /(?:ext\.?|x|#)\s*\d+\s*$/i;
/** "9.19845012345E+11": a number Excel wrote in scientific notation. */
const SCIENTIFIC = /^(\d)(?:\.(\d+))?e\+?(\d{1,2})$/i;

/**
 * "9.19845012345E11" → "919845012345". A number cut to fewer digits than a phone has ("9.19845E+11")
 * cannot be recovered, and says so.
 */
function expandScientific(text: string): PhoneResult | string {
  const m = SCIENTIFIC.exec(text);
  if (!m) return text;
  const [, lead, fraction = '', exponent] = m;
  const digits = `${lead}${fraction}`;
  const places = Number(exponent);
  if (fraction.length > places || digits.length < 8) {
    return { ok: false, message: 'The spreadsheet shortened this number; format the column as text and export again' };
  }
  return digits + '0'.repeat(places - fraction.length);
}

/**
 * Normalise what people type ("(415) 555-0100", "+91 98765 43210", "098450 12345" with a default
 * country) to E.164. Digits that spell a whole international number without its "+" (how spreadsheets
 * store "+91 98450 12345" typed as a number: 919845012345) are read as one.
 */
export function normalisePhone(input: string, defaultRegion: string | null): PhoneResult {
  const expanded = expandScientific(input.trim());
  if (typeof expanded !== 'string') return expanded;
  const text = expanded;
  if (!text) return { ok: false, message: 'Phone number is required' };
  const digits = text.replace(/\D/g, '');
  if (!digits || WORDS.test(text.replace(EXTENSION, ''))) return { ok: false, message: 'Not a phone number' };
  const international = text.startsWith('+') || text.startsWith('00');
  if (international) {
    const phone = parsePhoneNumberFromString(text.startsWith('00') ? `+${text.slice(2)}` : text);
    return phone?.isValid() ? { ok: true, e164: phone.number } : { ok: false, message: 'Not a valid phone number' };
  }
  const region = defaultRegion && isPhoneCountry(defaultRegion) ? defaultRegion : null;
  if (region) {
    const phone = parsePhoneNumberFromString(text, region);
    if (phone?.isValid()) return { ok: true, e164: phone.number };
  }
  const withPlus = digits.length >= 11 ? parsePhoneNumberFromString(`+${digits}`) : undefined;
  if (withPlus?.isValid()) return { ok: true, e164: withPlus.number };
  if (region) {
    const example = phoneExample(region);
    return {
      ok: false,
      message: `Not a valid phone number for ${countryName(region)}${example ? ` (for example ${example.national})` : ''}`,
    };
  }
  // Without a default country a local number cannot be placed; anything else is no number at all.
  return digits.length >= 6 && digits.length <= 12
    ? { ok: false, message: 'Add the country code (for example +1 415 555 0100)' }
    : { ok: false, message: 'Not a valid phone number' };
}
