import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The module rules are lint rules (eslint.config.js); these fixtures prove they bite. Each is linted
 * as if it were a file at `filePath` in the real tree, so imports resolve against the real modules.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
let eslint: ESLint;

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('module boundaries (lint)', () => {
  beforeAll(() => {
    eslint = new ESLint({ cwd: root });
  });

  it('refuses a deep import into another module’s internals (its repository)', async () => {
    const ids = await ruleIds(
      'apps/api/src/modules/leads/fixture.ts',
      "import { createTasksRepository } from '../tasks/tasks.repository.js';\nexport const repo = createTasksRepository;\n",
    );
    expect(ids).toContain('import-x/no-restricted-paths');
  }, 60_000);

  it('allows the same module through its index.ts', async () => {
    const ids = await ruleIds(
      'apps/api/src/modules/leads/fixture.ts',
      "import type { TasksApi } from '../tasks/index.js';\nexport type Tasks = TasksApi;\n",
    );
    expect(ids).toEqual([]);
  }, 60_000);

  it('refuses a deep import from the composition root', async () => {
    const ids = await ruleIds(
      'apps/api/src/fixture.ts',
      "import { UsersService } from './modules/users/users.service.js';\nexport const s = UsersService;\n",
    );
    expect(ids).toContain('import-x/no-restricted-paths');
  }, 60_000);

  it('refuses infra or shared code that depends on a module', async () => {
    const ids = await ruleIds(
      'apps/api/src/shared/fixture.ts',
      "import { actorOf } from '../modules/auth/index.js';\nexport const a = actorOf;\n",
    );
    expect(ids).toContain('import-x/no-restricted-paths');
  }, 60_000);

  it('refuses an import cycle (distribution → leads service → distribution)', async () => {
    const ids = await ruleIds(
      'apps/api/src/modules/leads/distribution.ts',
      "import { LeadsService } from './leads.service.js';\nexport const s = LeadsService;\n",
    );
    expect(ids).toContain('import-x/no-cycle');
  }, 60_000);
});
