import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The module rules are lint rules (eslint.config.js); these fixtures prove they bite. Each is linted
 * as if it were a file at `file` in the real tree, so its imports resolve against the real modules.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));

const cases: { proves: string; file: string; code: string; rule: string | null }[] = [
  {
    proves: 'a deep import into another module’s internals (its repository) is refused',
    file: 'apps/api/src/modules/leads/fixture.ts',
    code: "import { createTasksRepository } from '../tasks/tasks.repository.js';\nexport const repo = createTasksRepository;\n",
    rule: 'import-x/no-restricted-paths',
  },
  {
    proves: 'the same module through its index.ts is allowed',
    file: 'apps/api/src/modules/leads/fixture.ts',
    code: "import type { TasksApi } from '../tasks/index.js';\nexport type Tasks = TasksApi;\n",
    rule: null,
  },
  {
    proves: 'a deep import from the composition root is refused',
    file: 'apps/api/src/fixture.ts',
    code: "import { UsersService } from './modules/users/users.service.js';\nexport const s = UsersService;\n",
    rule: 'import-x/no-restricted-paths',
  },
  {
    proves: 'shared code that depends on a module is refused',
    file: 'apps/api/src/shared/fixture.ts',
    code: "import { actorOf } from '../modules/auth/index.js';\nexport const a = actorOf;\n",
    rule: 'import-x/no-restricted-paths',
  },
  {
    proves: 'an import cycle (distribution → leads service → distribution) is refused',
    file: 'apps/api/src/modules/leads/distribution.ts',
    code: "import { LeadsService } from './leads.service.js';\nexport const s = LeadsService;\n",
    rule: 'import-x/no-cycle',
  },
];

describe('module boundaries (lint)', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: root });
  });

  it.each(cases)(
    '$proves',
    async ({ file, code, rule }) => {
      const [result] = await eslint.lintText(code, { filePath: `${root}${file}` });
      const ids = (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
      if (rule) expect(ids).toContain(rule);
      else expect(ids).toEqual([]);
    },
    60_000,
  );
});
