/**
 * `npm run gateway:render -- compose [--split] [--max-upload-bytes N] [--out FILE]`: the gateway's
 * nginx.conf for production compose, on stdout or into FILE. deploy/nginx/rendered/ holds the
 * output for the defaults (a test keeps it current), for compose to mount as it is.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { composeDeployment } from './deployments.js';
import { renderGateway } from './render.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    split: { type: 'boolean', default: false },
    'max-upload-bytes': { type: 'string' },
    'web-root': { type: 'string' },
    out: { type: 'string' },
  },
});
if (positionals[0] !== 'compose') {
  console.error(
    'usage: npm run gateway:render -- compose [--split] [--max-upload-bytes N] [--web-root DIR] [--out FILE]',
  );
  process.exit(64);
}
const maxUploadBytes = values['max-upload-bytes'] === undefined ? undefined : Number(values['max-upload-bytes']);
if (maxUploadBytes !== undefined && !(Number.isInteger(maxUploadBytes) && maxUploadBytes >= 1024)) {
  console.error('--max-upload-bytes: expected a whole number of bytes (MAX_UPLOAD_BYTES), at least 1024');
  process.exit(64);
}
const config = renderGateway(composeDeployment({ split: values.split, maxUploadBytes, webRoot: values['web-root'] }));
if (values.out) writeFileSync(values.out, config);
else process.stdout.write(config);
