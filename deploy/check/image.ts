import { readFileSync } from 'node:fs';

/** The user the image runs as: the last `USER` of deploy/docker/Dockerfile, as `uid:gid`. */
export function imageUser(dockerfile = new URL('../docker/Dockerfile', import.meta.url)): { uid: number; gid: number } {
  const users = [...readFileSync(dockerfile, 'utf8').matchAll(/^USER\s+(\d+):(\d+)\s*$/gm)];
  const last = users.at(-1);
  if (!last) throw new Error('the Dockerfile has no numeric USER uid:gid');
  return { uid: Number(last[1]), gid: Number(last[2]) };
}
