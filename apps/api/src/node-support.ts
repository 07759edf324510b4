/** The Node.js lines Crewdesk supports (package.json `engines`: >=22); CI runs the suite on both. */
export const SUPPORTED_NODE_LINES = [22, 24] as const;

/**
 * The warning the server prints at start on a Node.js older than the supported lines, or null.
 * Node 20 reached end of life on 2026-04-30: `npm install && npm start` keeps working on it for as
 * long as every dependency does, but nothing guarantees that any more.
 */
export function unsupportedNodeWarning(version: string = process.versions.node): string | null {
  const major = Number(version.split('.')[0]);
  if (major >= SUPPORTED_NODE_LINES[0]) return null;
  const eol = major === 20 ? ' reached end of life on 2026-04-30 and' : '';
  return (
    `Node.js ${version}${eol} is not supported: Crewdesk supports Node.js ${SUPPORTED_NODE_LINES.join(' and ')} LTS. ` +
    'It may stop working with any update; install Node.js 24 (or 22).'
  );
}
