// The image's HEALTHCHECK (node, since the image has no curl): exit 0 when /health/ready answers
// 200 on this container's port within the timeout, 1 otherwise, so a container that is up but not
// ready (database down, shutting down) reports unhealthy.
import { request } from 'node:http';

const TIMEOUT_MS = 4_000;
const port = Number(process.env.PORT || 3000);

const req = request({ host: '127.0.0.1', port, path: '/health/ready', timeout: TIMEOUT_MS }, (res) => {
  res.resume();
  if (res.statusCode !== 200) console.error(`health check: /health/ready answered ${res.statusCode}`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (err) => {
  console.error(`health check: ${err.message}`);
  process.exit(1);
});
req.end();
