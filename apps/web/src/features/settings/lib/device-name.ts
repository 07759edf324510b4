import Bowser from 'bowser';

/**
 * A signed-in device as people name it ("Safari on iOS", "Chrome on Android", "Microsoft Edge on
 * Windows"), read from its User-Agent by bowser, a maintained parser: hand-written tests get the
 * corner cases wrong (an iPhone's UA says "like Mac OS X", which is not macOS).
 */
export function deviceName(userAgent: string | null): string {
  if (!userAgent?.trim()) return 'Unknown device';
  const { browser, os } = Bowser.parse(userAgent);
  const name = browser.name || /^[\w.-]+/.exec(userAgent)?.[0] || 'Unknown browser';
  return os.name ? `${name} on ${os.name}` : name;
}
