import { countryName, useWorkspaceSettings } from '../../../lib/workspace-settings';

/** What a lead file holds, in the words of the page, and how phones are written for the workspace's country. */
export function ImportHint() {
  const settings = useWorkspaceSettings();
  const country = settings.data?.defaultPhoneCountry ?? null;
  const example = settings.data?.phoneExample ?? null;
  return (
    <>
      <p className="muted" data-testid="import-hint">
        Each lead needs a <strong>First name</strong> and a <strong>Phone</strong>; <strong>Notes</strong> are optional.
        After the check you choose which column of your file holds each, and what happens to the others. Up to 10 MB
        unless your admin set another limit.
      </p>
      {settings.data && (
        <p className="muted" data-testid="phone-hint">
          {country && example
            ? `Phones: local ${countryName(country)} numbers such as ${example.national}, or any number with its country code (${example.international}).`
            : 'Phones: with the country code, such as +1 415 555 0100. An admin can set a default country in Settings so that local numbers work.'}
        </p>
      )}
    </>
  );
}
