import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

export const dockerfilePath = fileURLToPath(new URL('./Dockerfile', import.meta.url));

/** One instruction as the tests need it: keyword, flags (--from=…), arguments, and the raw text. */
export interface Step {
  keyword: string;
  flags: Record<string, string>;
  args: string[];
  /** The arguments as written (a RUN's shell command, an ENV's assignments). */
  text: string;
  /** The JSON (exec) form's strings, when the instruction uses it. */
  json: string[] | null;
  line: number;
  /** Assignments of ENV, ARG and LABEL (ARG without a default: undefined). */
  properties: [string, string | undefined][];
}

export interface Stage {
  name: string;
  /** The image or earlier stage it starts from, as written. */
  from: string;
  /** `from` is an earlier stage of this file rather than an image. */
  fromStage: boolean;
  digest: string | null;
  steps: Step[];
}

function toStep(instruction: Instruction): Step {
  const flags: Record<string, string> = {};
  const withFlags = instruction as Instruction & {
    getFlags?: () => { getName(): string; getValue(): string | null }[];
  };
  for (const flag of withFlags.getFlags?.() ?? []) flags[flag.getName()] = flag.getValue() ?? '';
  const withJson = instruction as Instruction & { getJSONStrings?: () => { getJSONValue(): string }[] };
  const json = withJson.getJSONStrings?.().map((s) => s.getJSONValue()) ?? [];
  const withProps = instruction as Instruction & {
    getProperties?: () => { getName(): string; getValue(): string | null }[];
  };
  const properties = (withProps.getProperties?.() ?? []).map(
    (p) => [p.getName(), p.getValue() ?? undefined] as [string, string | undefined],
  );
  return {
    keyword: instruction.getKeyword(),
    flags,
    args: instruction.getArguments().map((a) => a.getValue()), // without the flags
    text: (instruction.getArgumentsContent() ?? '')
      .replace(/^(\s*--\S+)+\s*/, '')
      .replace(/\\\n\s*/g, ' ')
      .trim(),
    json: json.length ? json : null,
    line: instruction.getRange().start.line + 1,
    properties,
  };
}

/** The Dockerfile's stages in order, each with its instructions (deploy/docker/Dockerfile by default). */
export function parseStages(content = readFileSync(dockerfilePath, 'utf8')): Stage[] {
  const dockerfile = DockerfileParser.parse(content);
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as unknown as {
        getImage(): string | null;
        getBuildStage(): string | null;
        getImageDigest(): string | null;
      };
      const image = from.getImage() ?? '';
      stages.push({
        name: from.getBuildStage() ?? String(stages.length),
        from: image,
        fromStage: stages.some((s) => s.name === image),
        digest: from.getImageDigest(),
        steps: [],
      });
    } else {
      stages.at(-1)?.steps.push(toStep(instruction));
    }
  }
  return stages;
}

export function stage(stages: Stage[], name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
}

/** The stages a stage is built on, nearest last (runtime → base …). */
export function ancestry(stages: Stage[], name: string): Stage[] {
  const chain: Stage[] = [];
  for (let current: Stage | undefined = stage(stages, name); current;) {
    chain.unshift(current);
    current = current.fromStage ? stage(stages, current.from) : undefined;
  }
  return chain;
}
