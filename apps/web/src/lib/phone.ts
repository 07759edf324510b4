import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * A stored E.164 number as people read it: "+919845012345" → "+91 98450 12345". Anything that does
 * not parse is shown as it is. Links (`tel:`), exports and the API keep E.164.
 */
export function formatPhone(e164: string | null | undefined): string {
  if (!e164) return '';
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
