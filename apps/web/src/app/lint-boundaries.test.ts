// @vitest-environment node
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The repository's own ESLint config, run on code that breaks (or keeps) the web app's import rules.
const repoRoot = new URL('../../../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: repoRoot });

async function ruleIds(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: `${repoRoot}apps/web/src/${filePath}` });
  return result?.messages.map((m) => m.ruleId) ?? [];
}

describe('the web app’s import rules', { timeout: 60_000 }, () => {
  it('refuse a feature reaching into another feature’s files', async () => {
    expect(
      await ruleIds(
        'features/leads/routes/fixture.tsx',
        "import { useAgents } from '../../agents/api/agents';\nexport const useFixture = useAgents;\n",
      ),
    ).toEqual(['import-x/no-restricted-paths']);
  });

  it('let a feature use another through its index.ts, and its own files freely', async () => {
    expect(
      await ruleIds(
        'features/leads/routes/fixture.tsx',
        "import { useActiveAgents } from '../../agents';\nimport { useLeadList } from '../api/leads';\nexport const hooks = [useActiveAgents, useLeadList];\n",
      ),
    ).toEqual([]);
  });

  it('refuse shared code depending on a feature, and a feature depending on app/', async () => {
    expect(
      await ruleIds('lib/fixture.ts', "import { signOut } from '../features/auth';\nexport const out = signOut;\n"),
    ).toEqual(['import-x/no-restricted-paths']);
    expect(
      await ruleIds(
        'features/tasks/fixture.ts',
        "import { liveHandlers } from '../../app/live-handlers';\nexport const handlers = liveHandlers;\n",
      ),
    ).toEqual(['import-x/no-restricted-paths']);
  });

  it('refuse an import cycle: query-client.ts importing local-data.ts, which imports it', async () => {
    expect(
      await ruleIds(
        'lib/query-client.ts',
        "import { forgetLocalData } from './local-data';\nexport const forget = forgetLocalData;\n",
      ),
    ).toEqual(['import-x/no-cycle']);
  });
});
