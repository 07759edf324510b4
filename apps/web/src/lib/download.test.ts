import { beforeEach, describe, expect, it, vi } from 'vitest';
import { stubFetch } from '../../test/utils';
import { downloadCsv, localTimeZone } from './download';
import { setAccessToken } from './session';

beforeEach(() => {
  setAccessToken('token');
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:x'), revokeObjectURL: vi.fn() }));
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
});

describe('CSV downloads', () => {
  it('send the browser’s IANA time zone, so the export’s times are the user’s local time', async () => {
    vi.spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions').mockReturnValue({
      ...new Intl.DateTimeFormat('en-US').resolvedOptions(),
      timeZone: 'Asia/Kolkata',
    });
    const { requests } = stubFetch(() => new Response('\uFEFFid\r\n', { headers: { 'content-type': 'text/csv' } }));
    await downloadCsv('/api/v1/tasks/export', { status: 'pending' }, 'tasks.csv');
    expect(requests[0]!.url.searchParams.get('tz')).toBe('Asia/Kolkata');
    expect(requests[0]!.url.searchParams.get('status')).toBe('pending');
  });

  it('leave tz out where the runtime cannot tell the zone (the server then writes UTC)', () => {
    vi.spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions').mockReturnValue({
      ...new Intl.DateTimeFormat('en-US').resolvedOptions(),
      timeZone: '',
    });
    expect(localTimeZone()).toBeUndefined();
  });
});
