import { readFileSync } from 'node:fs';
import { apiPackageJson } from './paths.js';

export const version: string = (JSON.parse(readFileSync(apiPackageJson, 'utf8')) as { version: string }).version;
