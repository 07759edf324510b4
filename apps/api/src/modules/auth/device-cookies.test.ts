import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEVICE_COOKIE_MAX_AGE_SECONDS, DeviceCookies } from './device-cookies.js';

describe('DeviceCookies', () => {
  const key = randomBytes(32);
  let now = Date.UTC(2026, 0, 1);
  const devices = new DeviceCookies(key, () => now);

  it('recognises its own cookie for the account it names, giving a stable device id', () => {
    const { value } = devices.issue('ada@example.com');
    const id = devices.recognise(value, 'ada@example.com');
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(devices.recognise(value, 'ada@example.com')).toBe(id);
    expect(value).not.toContain('ada');
  });

  it('ignores a cookie of another account, an altered one, one signed with another key, and nonsense', () => {
    const { value } = devices.issue('ada@example.com');
    expect(devices.recognise(value, 'bob@example.com')).toBeNull();
    const [tag, , issuedAt, signature] = value.split('.');
    expect(devices.recognise(`${tag}.${'x'.repeat(22)}.${issuedAt}.${signature}`, 'ada@example.com')).toBeNull();
    expect(new DeviceCookies(randomBytes(32)).recognise(value, 'ada@example.com')).toBeNull();
    for (const junk of [null, '', 'abc', 'a.b.c.d.e']) expect(devices.recognise(junk, 'ada@example.com')).toBeNull();
  });

  it('ignores a cookie older than its lifetime, whatever the browser kept', () => {
    const { value, maxAgeSeconds } = devices.issue('ada@example.com');
    expect(maxAgeSeconds).toBe(DEVICE_COOKIE_MAX_AGE_SECONDS);
    now += (DEVICE_COOKIE_MAX_AGE_SECONDS + 1) * 1000;
    expect(devices.recognise(value, 'ada@example.com')).toBeNull();
  });
});
