import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import globals from 'globals';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// Every folder under apps/api/src/modules is a module whose only public file is its index.ts.
const API = 'apps/api/src';
const apiModules = readdirSync(`${API}/modules`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const moduleSurface = (name) =>
  `Import the ${name} module through modules/${name}/index.ts, its only public surface (DESIGN.md "Module surfaces").`;
const apiBoundaries = [
  // A module reaches another only through that module's index.ts.
  ...apiModules.flatMap((module) =>
    apiModules
      .filter((other) => other !== module)
      .map((other) => ({
        target: `${API}/modules/${module}`,
        from: `${API}/modules/${other}`,
        except: ['./index.ts'],
        message: moduleSurface(other),
      })),
  ),
  // So does the composition root (app.ts, server.ts, cli.ts).
  ...apiModules.map((module) => ({
    target: `${API}/*.ts`,
    from: `${API}/modules/${module}`,
    except: ['./index.ts'],
    message: moduleSurface(module),
  })),
  // Infrastructure and shared helpers know no module: dependencies point from modules to them.
  {
    target: [`${API}/infra`, `${API}/shared`],
    from: `${API}/modules`,
    message: 'infra/ and shared/ must not depend on a module; move the code or pass it in.',
  },
];

// The web app's layers: shared code (lib, components) → features → app, and a feature reaches
// another only through that feature's index.ts. Read from the folders, so a new feature is covered.
const web = fileURLToPath(new URL('apps/web/', import.meta.url));
const webSrc = `${web}src/`;
const features = readdirSync(`${webSrc}features`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const webLayers = [
  ...['lib', 'components'].map((shared) => ({
    target: `${webSrc}${shared}`,
    from: [`${webSrc}features`, `${webSrc}app`],
    message: 'Shared code (lib, components) must not depend on a feature or on app/.',
  })),
  { target: `${webSrc}features`, from: `${webSrc}app`, message: 'Features must not depend on app/.' },
  ...features.map((feature) => ({
    target: `${webSrc}features/${feature}`,
    from: `${webSrc}features`,
    except: [`./${feature}`, ...features.filter((other) => other !== feature).map((other) => `./${other}/index.ts`)],
    message: 'Import another feature through its index.ts only.',
  })),
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'data/**',
      'coverage/**',
      '.ci/out/**',
      'apps/api/drizzle/**',
      '.node24/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Import boundaries and cycles, resolved the way TypeScript resolves them (.js specifiers → .ts files).
    files: ['apps/api/**/*.ts', 'packages/**/*.ts', 'bench/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      // Type-only imports are skipped: they vanish at run time.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: [`${API}/**/*.ts`],
    ignores: [`${API}/**/*.test.ts`],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: apiBoundaries }],
    },
  },
  {
    // The API reads its environment in one place only.
    files: ['apps/api/src/**/*.ts'],
    ignores: ['apps/api/src/config.ts', 'apps/api/src/**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through config.ts only.' },
      ],
    },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
    },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      // Which files are modules and how to parse them (for following imports), from the plugin's TypeScript preset.
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${web}tsconfig.json` })],
    },
    rules: {
      // Type-only imports are left out (they vanish from the build); dynamic imports count.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: webLayers }],
    },
  },
);
