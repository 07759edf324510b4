import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ignore from '@balena/dockerignore';
import type { Stage, Step } from './dockerfile-model.js';

/**
 * Runs a Dockerfile's stages outside Docker, for deploy/docker/image-steps.test.ts: no Docker engine
 * runs on these machines, so the same COPY and RUN steps are carried out into a staging directory
 * and the runtime stage's tree is then started the way a container would start it.
 *
 * A stage's filesystem is this machine's Debian 12 (what the bookworm base image is) with the
 * stage's own files over it, in `stages/<name>/`. RUN steps run chrooted into the stage's tree with
 * this machine's /usr and /etc mounted read-only, Node 24 at /usr/local/bin as in the node image
 * and npm's cache at /root/.npm (the Dockerfile's cache mount), in a mount namespace of their own. Two steps are not run, and say why:
 *  - `apt-get install` in a stage on the base image: this machine has those Debian packages (they
 *    are checked), so the stage's files are this machine's;
 *  - the deps stage's `npm ci`: it is the install CI itself has just done from the same lockfile, so
 *    the checkout's node_modules (hard-linked) stands in for it; the stage must consist of copying
 *    the manifests and `npm ci`, or this refuses to run.
 * Anything else the runner does not know makes it fail rather than guess.
 */

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface StageRunnerOptions {
  stages: Stage[];
  /** Where the stages' trees go. */
  dir: string;
  /** The directory holding the Node 24 `node` binary. */
  nodeBin: string;
  buildArgs: Record<string, string>;
  log: (line: string) => void;
}

interface StageState {
  tree: string;
  workdir: string;
  env: Record<string, string>;
  user: string | null;
}

/** PATH in the node image (and so in every stage). */
export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const MANIFEST = /(^|\/)(package(-lock)?\.json|patches)$/;

/** The build context's files (relative paths) after .dockerignore, directories pruned as excluded. */
export function contextFiles(root = repoRoot): string[] {
  const rules = existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore'), 'utf8') : '';
  const ig = ignore().add(rules.split('\n'));
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (ig.ignores(path)) continue;
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk('');
  return files;
}

function substitute(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => vars[a ?? b] ?? '');
}

export class StageRunner {
  private readonly states = new Map<string, StageState>();
  private context: string[] | null = null;

  constructor(private readonly options: StageRunnerOptions) {}

  tree(stageName: string): string {
    const state = this.states.get(stageName);
    if (!state) throw new Error(`stage ${stageName} has not been run`);
    return state.tree;
  }

  env(stageName: string): Record<string, string> {
    return this.states.get(stageName)!.env;
  }

  /** Runs a stage (and, first, every stage it starts from or copies from). */
  run(name: string): StageState {
    const done = this.states.get(name);
    if (done) return done;
    const stage = this.options.stages.find((s) => s.name === name);
    if (!stage) throw new Error(`no stage ${name}`);
    const tree = join(this.options.dir, 'stages', name);
    let state: StageState;
    if (stage.fromStage) {
      const parent = this.run(stage.from);
      this.options.log(`stage ${name}: from ${stage.from}`);
      // Hard links: a RUN may add files, but none here rewrites one in place.
      execFileSync('cp', ['-al', parent.tree, tree]);
      state = { ...parent, tree, env: { ...parent.env } };
    } else {
      this.options.log(`stage ${name}: from ${stage.from} (this machine's Debian 12 stands in for it)`);
      mkdirSync(tree, { recursive: true });
      state = { tree, workdir: '/', env: {}, user: null };
    }
    this.states.set(name, state);
    if (name === 'deps') this.standInForDeps(stage, state);
    else for (const step of stage.steps) this.step(stage, state, step);
    return state;
  }

  private standInForDeps(stage: Stage, state: StageState) {
    const kinds = stage.steps.map((s) => s.keyword);
    const copies = stage.steps.filter((s) => s.keyword === 'COPY');
    const runs = stage.steps.filter((s) => s.keyword === 'RUN');
    const onlyManifests = copies.every((c) => !c.flags.from && c.args.slice(0, -1).every((src) => MANIFEST.test(src)));
    if (
      !onlyManifests ||
      runs.length !== 1 ||
      runs[0]!.text !== 'npm ci' ||
      kinds.some((k) => !['COPY', 'RUN'].includes(k))
    ) {
      throw new Error(
        'the deps stage is no longer "copy the manifests, npm ci": teach deploy/docker/image-steps.ts it',
      );
    }
    for (const copy of copies) this.step(stage, state, copy);
    this.options.log(
      "stage deps: npm ci → the checkout's node_modules (CI's own npm ci of the same lockfile), hard-linked",
    );
    const app = join(state.tree, state.workdir);
    for (const dir of [
      '',
      ...['apps', 'packages'].flatMap((d) => readdirSync(join(repoRoot, d)).map((n) => `${d}/${n}`)),
    ]) {
      const modules = join(repoRoot, dir, 'node_modules');
      if (existsSync(modules)) {
        mkdirSync(join(app, dir), { recursive: true });
        execFileSync('cp', ['-al', modules, join(app, dir, 'node_modules')]);
      }
    }
  }

  private step(stage: Stage, state: StageState, step: Step) {
    const vars = { ...state.env };
    switch (step.keyword) {
      case 'WORKDIR':
        state.workdir = posix.resolve(state.workdir, substitute(step.args[0]!, vars));
        mkdirSync(join(state.tree, state.workdir), { recursive: true });
        return;
      case 'ARG':
        for (const [key, value] of step.properties) state.env[key] = this.options.buildArgs[key] ?? value ?? '';
        return;
      case 'ENV':
        for (const [key, value] of step.properties) state.env[key] = substitute(value ?? '', vars);
        return;
      case 'USER':
        state.user = step.args[0]!;
        return;
      case 'COPY':
        return this.copy(state, step);
      case 'RUN':
        return this.runStep(stage, state, step);
      case 'LABEL':
      case 'EXPOSE':
      case 'VOLUME':
      case 'HEALTHCHECK':
      case 'ENTRYPOINT':
      case 'CMD':
      case 'STOPSIGNAL':
        return; // metadata: the test reads these from the parsed file
      default:
        throw new Error(`line ${step.line}: ${step.keyword} is not something deploy/docker/image-steps.ts can run`);
    }
  }

  private copy(state: StageState, step: Step) {
    const sources = step.args.slice(0, -1);
    const target = step.args.at(-1)!;
    const destination = posix.resolve(state.workdir, target);
    const from = step.flags.from;
    for (const source of sources) {
      if (from) {
        const other = this.run(from);
        const path = posix.resolve(other.workdir, source);
        let origin = join(other.tree, path);
        if (!existsSync(origin)) origin = path; // the base image's own files: this machine's
        if (!existsSync(origin)) throw new Error(`line ${step.line}: ${source} is not in stage ${from}`);
        this.place(origin, join(state.tree, destination), target.endsWith('/'));
      } else {
        this.context ??= contextFiles();
        const prefix = source === '.' ? '' : source.replace(/\/$/, '');
        const matched = this.context.filter((f) => !prefix || f === prefix || f.startsWith(`${prefix}/`));
        if (!matched.length) throw new Error(`line ${step.line}: ${source} is not in the build context`);
        const single = matched.length === 1 && matched[0] === prefix && !statSync(join(repoRoot, prefix)).isDirectory();
        for (const file of matched) {
          const rel = single ? basename(file) : prefix ? file.slice(prefix.length + 1) : file;
          const into =
            single && !target.endsWith('/') ? join(state.tree, destination) : join(state.tree, destination, rel);
          mkdirSync(dirname(into), { recursive: true });
          cpSync(join(repoRoot, file), into, { verbatimSymlinks: true });
        }
      }
    }
    if (step.flags.chown) {
      execFileSync('chown', ['-R', step.flags.chown, join(state.tree, destination)]);
    }
  }

  /** COPY semantics: a directory's contents into the destination, a file to it (or into it, for `dir/`). */
  private place(origin: string, destination: string, intoDirectory: boolean) {
    const isDir = lstatSync(origin).isDirectory();
    const target = !isDir && intoDirectory ? join(destination, basename(origin)) : destination;
    mkdirSync(isDir ? target : dirname(target), { recursive: true });
    execFileSync('cp', ['-a', isDir ? `${origin}/.` : origin, target]);
  }

  private runStep(stage: Stage, state: StageState, step: Step) {
    const apt = /^apt-get update\b.*apt-get install\b(?<args>[^&]*)/.exec(step.text);
    if (apt) {
      const packages = apt.groups!.args!.split(/\s+/).filter((w) => w && !w.startsWith('-'));
      for (const pkg of packages) {
        const status = spawnSync('dpkg-query', ['-W', '-f', '${Status}', pkg], { encoding: 'utf8' });
        if (!status.stdout.includes('install ok installed')) {
          throw new Error(`line ${step.line}: stage ${stage.name} installs ${pkg}; apt-get install ${pkg} here first`);
        }
      }
      this.options.log(`stage ${stage.name}: ${packages.join(', ')} from this machine's Debian packages`);
      return;
    }
    this.options.log(`stage ${stage.name}: RUN ${step.text}`);
    const result = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        chrootScript(this.options.dir, state.tree, this.options.nodeBin),
      ],
      {
        env: {
          ...state.env,
          PATH: IMAGE_PATH,
          HOME: '/root',
          CHROOT_CWD: state.workdir,
          CHROOT_COMMAND: step.text,
        },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (result.status !== 0) {
      throw new Error(
        `line ${step.line}: RUN ${step.text} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
      );
    }
  }
}

/**
 * Shell lines that make the stage tree $T the root of a mount namespace: this machine's /usr and
 * /etc read-only (the tree's own /usr files, such as tini, bound over them), Node 24 at
 * /usr/local/bin as in the node image, /dev, /proc and a fresh /tmp.
 */
export function baseMounts(dir: string, tree: string, nodeBin: string): string {
  return `T=${JSON.stringify(tree)}
IMG=${JSON.stringify(dir)}/usr-$$
for d in usr etc dev proc tmp root; do mkdir -p "$T/$d"; done
for l in bin lib lib64 sbin; do [ -e "$T/$l" ] || [ -L "$T/$l" ] || ln -s usr/$l "$T/$l"; done
mount --bind "$T" "$T"
mkdir -p "$IMG" && mount --bind "$T/usr" "$IMG"
mount --bind /usr "$T/usr" && mount -o remount,bind,ro "$T/usr"
mount --bind ${JSON.stringify(nodeBin)} "$T/usr/local/bin" && mount -o remount,bind,ro "$T/usr/local/bin"
(cd "$IMG" && find . -type f) | while read -r f; do mount --bind "$IMG/$f" "$T/usr/$f"; done
mount --bind /etc "$T/etc" && mount -o remount,bind,ro "$T/etc"
mount --rbind /dev "$T/dev"
mount -t proc proc "$T/proc"
mount -t tmpfs -o mode=1777 tmpfs "$T/tmp"`;
}

/** A RUN step: $CHROOT_COMMAND in $CHROOT_CWD, as root, in the stage tree with npm's cache at /root/.npm. */
function chrootScript(dir: string, tree: string, nodeBin: string) {
  const npmCache = join(process.env.HOME ?? '/root', '.npm');
  return `set -e
${baseMounts(dir, tree, nodeBin)}
mkdir -p ${JSON.stringify(npmCache)} "$T/root/.npm" && mount --bind ${JSON.stringify(npmCache)} "$T/root/.npm"
exec chroot "$T" sh -c 'cd "$CHROOT_CWD" && eval "$CHROOT_COMMAND"'
`;
}

/**
 * Starts `command` as a container of the runtime stage's tree would run: the whole tree read-only
 * except /data, a fresh /tmp, as `user` (uid:gid) with no capabilities, with exactly `env`. The
 * process spawned execs down to the command itself, so a signal sent to it reaches the command
 * (tini, in the image) as it reaches a container's PID 1.
 */
export function spawnContainer(options: {
  dir: string;
  tree: string;
  nodeBin: string;
  user: string;
  workdir: string;
  env: Record<string, string>;
  command: string[];
}) {
  const { dir, tree, nodeBin, user, workdir, env, command } = options;
  const [uid, gid = uid] = user.split(':');
  const script = `set -e
${baseMounts(dir, tree, nodeBin)}
mount --bind "$T/data" "$T/data"
mount -o remount,bind,ro "$T"
exec chroot "$T" setpriv --reuid=${uid} --regid=${gid} --clear-groups --inh-caps=-all --bounding-set=-all \\
  sh -c 'cd "$0" && exec "$@"' ${JSON.stringify(workdir)} ${command.map((c) => JSON.stringify(c)).join(' ')}
`;
  return spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
