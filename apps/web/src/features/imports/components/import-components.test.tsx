import type { ImportReport } from '@crewdesk/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { json, renderPage, stubFetch } from '../../../../test/utils';
import { setAccessToken } from '../../../lib/session';
import { problemRowsCsv } from '../api/problem-rows';
import { ColumnMappingTable } from './column-mapping';
import { ImportHint } from './import-hint';
import { ImportedBefore } from './imported-before';
import { ReportCard } from './report-card';

const columns: ImportReport['columns'] = [
  { name: 'Customer', sample: 'Ravi', target: 'skip', source: 'none' },
  { name: 'Contact Number', sample: '+91 98450 12345', target: 'phone', source: 'header' },
  { name: 'Remarks', sample: 'Wants a demo', target: 'notes', source: 'header' },
  { name: 'City', sample: 'Pune', target: 'skip', source: 'none' },
];

function report(overrides: Partial<ImportReport> = {}): ImportReport {
  return {
    id: null,
    status: 'dry-run',
    dryRun: true,
    alreadyImported: false,
    filename: 'customers.csv',
    fileType: 'csv',
    totalRows: 3,
    validRows: 2,
    invalidRows: 1,
    duplicateRows: 0,
    processedRows: 0,
    errors: [{ row: 3, column: 'Phone', message: 'Not a phone number: "call me maybe"' }],
    errorsTruncated: false,
    distribution: [{ agentId: '01900000-0000-7000-8000-000000000001', agentName: 'Asha', count: 2 }],
    columns: columns.map((c) => (c.name === 'Customer' ? { ...c, target: 'firstName', source: 'request' } : c)),
    missingColumns: [],
    problemRows: {
      header: ['Customer', 'Contact Number', 'Remarks', 'City'],
      rows: [
        { row: 3, reason: 'Not a phone number: "call me maybe"', cells: ['Meena', 'call me maybe', '=1+2', 'Mumbai'] },
      ],
      truncated: false,
    },
    importedAt: null,
    ...overrides,
  };
}

beforeEach(() => setAccessToken('token'));

const textOf = (blob: Blob) =>
  new Promise<string>((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.readAsText(blob);
  });

describe('the column matching', () => {
  it('shows each column with its first value and what it becomes, and says plainly what is not imported', async () => {
    const onChange = vi.fn();
    renderPage(<ColumnMappingTable columns={columns} mapping={{}} missing={['firstName']} onChange={onChange} />);
    const rows = screen.getAllByTestId('mapping-row');
    expect(rows.map((r) => within(r).getByRole('rowheader').firstChild?.textContent)).toEqual([
      'Customer',
      'Contact Number',
      'Remarks',
      'City',
    ]);
    expect(within(rows[1]!).getByTestId('mapping-sample')).toHaveTextContent('+91 98450 12345');
    expect(screen.getByRole('combobox', { name: 'Import “Contact Number” as' })).toHaveDisplayValue('Phone');
    expect(screen.getByRole('combobox', { name: 'Import “Customer” as' })).toHaveDisplayValue('Don’t import');
    expect(screen.getByRole('alert')).toHaveTextContent('Choose the column that holds First name.');
    expect(screen.getByTestId('not-imported')).toHaveTextContent('Not imported: Customer, City');

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Import “Customer” as' }), 'First name');
    expect(onChange).toHaveBeenCalledWith('Customer', 'firstName');
  });

  it('shows the admin’s choices over the suggestions, and offers to keep a column as notes lines', () => {
    renderPage(
      <ColumnMappingTable
        columns={columns}
        mapping={{ Customer: 'firstName', City: 'appendToNotes' }}
        missing={[]}
        onChange={() => {}}
      />,
    );
    expect(screen.getByRole('combobox', { name: 'Import “City” as' })).toHaveDisplayValue(
      'Add to notes (“City: Pune”)',
    );
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByTestId('not-imported')).toHaveTextContent('Every column is imported.');
  });
});

describe('the report', () => {
  it('names the file’s own column for each problem, not the field', () => {
    renderPage(<ReportCard report={report()} />);
    const [problem] = screen.getAllByTestId('report-error');
    expect(
      within(problem!)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual(['3', 'Contact Number', 'Not a phone number: "call me maybe"']);
  });

  it('downloads the problem rows of a check as a CSV in the file’s header names, formulas neutralised', async () => {
    let saved: Blob | null = null;
    // jsdom has no object URLs: the test keeps the blob the page would hand to the browser.
    Object.assign(URL, { createObjectURL: (b: Blob) => ((saved = b), 'blob:x'), revokeObjectURL: () => {} });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    renderPage(<ReportCard report={report()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Download problem rows' }));
    // papaparse loads on first use: slower than waitFor's default second on a busy machine.
    await waitFor(() => expect(click).toHaveBeenCalled(), { timeout: 10_000 });
    expect(await textOf(saved!)).toBe(
      'Row,Problem,Customer,Contact Number,Remarks,City\r\n' +
        '3,"Not a phone number: ""call me maybe""",Meena,call me maybe,\'=1+2,Mumbai\r\n',
    );
  });

  it('offers no download when every row is fine', () => {
    renderPage(<ReportCard report={report({ problemRows: { header: [], rows: [], truncated: false } })} />);
    expect(screen.queryByRole('button', { name: 'Download problem rows' })).toBeNull();
  });

  it('the CSV quotes a header cell that starts like a formula too', async () => {
    expect(
      await problemRowsCsv({ header: ['@who'], rows: [{ row: 2, reason: 'x', cells: ['-1'] }], truncated: false }),
    ).toBe("\uFEFFRow,Problem,'@who\r\n2,x,'-1\r\n"); // with the BOM, as the server's downloads
  });
});

describe('a file imported before', () => {
  it('says when and what it wrote, with its leads and its problem rows, and shows no plan', () => {
    const before = report({
      id: '01900000-0000-7000-8000-0000000000aa',
      status: 'completed',
      alreadyImported: true,
      processedRows: 2,
      invalidRows: 1,
      importedAt: '2026-11-30T09:15:00.000Z',
      distribution: [],
    });
    renderPage(<ImportedBefore report={before} />);
    const card = screen.getByTestId('imported-before');
    expect(card).toHaveTextContent('2 leads created, 1 row skipped');
    expect(card).toHaveTextContent(
      new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
        new Date(before.importedAt!),
      ),
    );
    expect(within(card).getByRole('link', { name: 'See its leads' })).toHaveAttribute(
      'href',
      `/leads?importId=${before.id}`,
    );
    expect(within(card).getByRole('button', { name: 'Download problem rows' })).toBeInTheDocument();
    expect(screen.queryByTestId('distribution')).toBeNull();
  });
});

describe('the import hint', () => {
  it('names the fields as the page does and gives an example number of the workspace’s country', async () => {
    stubFetch(() =>
      json(200, {
        defaultPhoneCountry: 'IN',
        publicSignup: true,
        phoneExample: { national: '081234 56789', international: '+91 81234 56789' },
      }),
    );
    renderPage(<ImportHint />);
    expect(screen.getByTestId('import-hint')).toHaveTextContent('First name and a Phone; Notes are optional');
    expect(screen.getByTestId('import-hint')).not.toHaveTextContent('FirstName');
    expect(await screen.findByTestId('phone-hint')).toHaveTextContent(
      'Phones: local India numbers such as 081234 56789, or any number with its country code (+91 81234 56789).',
    );
  });

  it('asks for the country code when the workspace has no default country', async () => {
    stubFetch(() => json(200, { defaultPhoneCountry: null, publicSignup: true, phoneExample: null }));
    renderPage(<ImportHint />);
    expect(await screen.findByTestId('phone-hint')).toHaveTextContent(
      /with the country code.*default country in Settings/,
    );
  });
});
