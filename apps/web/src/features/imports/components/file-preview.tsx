import { useEffect, useState } from 'react';

const PREVIEW_ROWS = 6;

/** The first rows of the chosen file, read in the browser before anything is uploaded. */
export function FilePreview({ file }: { file: File }) {
  const [rows, setRows] = useState<string[][] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    setRows(null);
    setError(null);
    readFirstRows(file)
      .then((r) => !cancelled && setRows(r))
      .catch(() => !cancelled && setError('This file cannot be previewed; the check below still reads it.'));
    return () => {
      cancelled = true;
    };
  }, [file]);
  if (error) return <p className="muted">{error}</p>;
  if (!rows) return <p className="muted">Reading the file…</p>;
  const [header = [], ...body] = rows;
  return (
    <div className="table-wrap preview">
      <table className="table">
        <caption className="sr-only">First rows of {file.name}</caption>
        <thead>
          <tr>
            {header.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.map((r, i) => (
            <tr key={i}>
              {header.map((_, j) => (
                <td key={j}>{r[j] ?? ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function readFirstRows(file: File): Promise<string[][]> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  const isZip = head[0] === 0x50 && head[1] === 0x4b;
  if (isZip) {
    const { readSheet } = await import('read-excel-file/browser');
    const data = await readSheet(file);
    return data.slice(0, PREVIEW_ROWS).map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  }
  const Papa = (await import('papaparse')).default;
  return new Promise((resolve, reject) =>
    Papa.parse<string[]>(file, {
      preview: PREVIEW_ROWS,
      skipEmptyLines: 'greedy',
      complete: (r) => resolve(r.data.map((row) => row.map((c) => c.replace(/^\uFEFF/, '')))),
      error: reject,
    }),
  );
}
