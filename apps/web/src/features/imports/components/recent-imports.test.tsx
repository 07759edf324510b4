import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { json, renderPage, stubFetch } from '../../../../test/utils';
import { setAccessToken } from '../../../lib/session';
import { RecentImports } from './recent-imports';

beforeEach(() => setAccessToken('token'));

describe('the imports history', () => {
  it('with no imports yet, its empty state offers a sample file with the columns an import reads', async () => {
    stubFetch(() => json(200, { items: [], nextCursor: null }));
    let saved: Blob | null = null;
    vi.stubGlobal(
      'URL',
      Object.assign(URL, {
        createObjectURL: vi.fn((blob: Blob) => {
          saved = blob;
          return 'blob:sample';
        }),
        revokeObjectURL: vi.fn(),
      }),
    );
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    renderPage(<RecentImports />);
    expect(await screen.findByRole('heading', { name: 'No imports yet' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Download a sample CSV' }));
    expect(click).toHaveBeenCalledOnce();
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(saved!);
    });
    expect(text.split('\r\n')[0]).toMatch(/^\uFEFF?FirstName,Phone,Notes$/); // the reader drops the BOM
  });
});
