import { readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { ancestry, dockerfilePath, parseStages, stage } from './dockerfile-model.js';

const content = readFileSync(dockerfilePath, 'utf8');
const stages = parseStages(content);
const runtime = stages.at(-1)!;
const runtimeSteps = ancestry(stages, runtime.name).flatMap((s) => s.steps);
const SECRET_NAME =
  /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|_KEY$|DSN|DATABASE_URL|REDIS_URL|AMQP_URL/i;

describe('deploy/docker/Dockerfile', () => {
  it('passes the dockerfile-utils linter with no problem at all', () => {
    const problems = validate(content).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('is multi-stage: deps → build → production deps → runtime, the runtime stage last', () => {
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(['deps', 'build', 'prod-deps', 'runtime']));
    expect(runtime.name).toBe('runtime');
    expect(stage(stages, 'build').from).toBe('deps');
    expect(stage(stages, 'prod-deps').from).not.toBe('deps'); // a fresh install, not a prune of dev tools
  });

  it('pins every image it starts from by digest on Node 24 slim; every other FROM is an earlier stage', () => {
    const images = stages.filter((s) => !s.fromStage);
    expect(images.length).toBeGreaterThan(0);
    for (const s of images) {
      expect(s.from, `FROM of stage ${s.name}`).toMatch(/^node:24-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
      expect(s.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  it('runs as a fixed numeric non-root user in the runtime stage', () => {
    const users = runtimeSteps.filter((s) => s.keyword === 'USER').map((s) => s.args[0]);
    const last = users.at(-1);
    expect(last, 'the runtime stage sets USER').toBeDefined();
    expect(last).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/); // a uid (and gid), never root, never a name
  });

  it('starts under an init process (tini) in exec form and checks health through node, not curl', () => {
    const entrypoint = runtimeSteps.findLast((s) => s.keyword === 'ENTRYPOINT');
    expect(entrypoint?.json?.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    const healthcheck = runtimeSteps.findLast((s) => s.keyword === 'HEALTHCHECK');
    expect(healthcheck, 'HEALTHCHECK present').toBeDefined();
    expect(healthcheck!.text).toMatch(/^CMD \["node", "[^"]+healthcheck\.mjs"\]$/);
    expect(healthcheck!.flags['start-period']).toBeDefined();
    expect(content).not.toMatch(/\b(curl|wget)\b/);
  });

  it('sets NODE_ENV=production, carries APP_REVISION into an OCI label and the environment', () => {
    const env = new Map(runtimeSteps.filter((s) => s.keyword === 'ENV').flatMap((s) => s.properties));
    expect(env.get('NODE_ENV')).toBe('production');
    expect(env.get('APP_REVISION')).toBe('${APP_REVISION}');
    const labels = new Map(runtimeSteps.filter((s) => s.keyword === 'LABEL').flatMap((s) => s.properties));
    expect(labels.get('org.opencontainers.image.revision')).toBe('${APP_REVISION}');
    for (const name of ['title', 'version', 'licenses', 'description']) {
      expect(labels.has(`org.opencontainers.image.${name}`), name).toBe(true);
    }
  });

  it('has no secret-looking build argument or environment variable in any stage', () => {
    const names = stages.flatMap((s) =>
      s.steps.filter((x) => x.keyword === 'ARG' || x.keyword === 'ENV').flatMap((x) => x.properties.map(([n]) => n)),
    );
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => SECRET_NAME.test(n))).toEqual([]);
    // And nothing secret is copied in from the build context.
    expect(content).not.toMatch(/\.env\b|\.pem\b|secrets?\//i);
  });

  it('gives the runtime stage production dependencies only: node_modules from the --omit=dev install, never from deps or build', () => {
    const copies = runtime.steps.filter((s) => s.keyword === 'COPY' && s.flags.from);
    const prodInstall = stage(stages, 'prod-deps').steps.filter(
      (s) => s.keyword === 'RUN' && /\bnpm ci\b/.test(s.text),
    );
    expect(prodInstall.length).toBe(1);
    expect(prodInstall[0]!.text).toMatch(/--omit=dev/);
    for (const copy of copies.filter((c) => c.flags.from === 'deps' || c.flags.from === 'build')) {
      // From the build only its outputs: never node_modules, never the whole tree.
      expect(
        copy.args.slice(0, -1).every((src) => /\/dist$/.test(src)),
        `line ${copy.line}: ${copy.text}`,
      ).toBe(true);
    }
    expect(copies.some((c) => c.flags.from === 'prod-deps')).toBe(true);
  });

  it('is read-only-root friendly: code owned by root, only the /data volume owned by the app user', () => {
    const volumes = runtimeSteps.filter((s) => s.keyword === 'VOLUME').flatMap((s) => s.json ?? s.args);
    expect(volumes).toEqual(['/data']);
    const env = new Map(runtimeSteps.filter((s) => s.keyword === 'ENV').flatMap((s) => s.properties));
    expect(env.get('DATA_DIR')).toBe('/data');
    const chowned = runtime.steps.filter((s) => s.keyword === 'COPY' && s.flags.chown).map((s) => s.args.at(-1));
    expect(chowned).toEqual(['/data']);
  });
});
