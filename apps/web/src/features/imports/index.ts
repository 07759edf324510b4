// The lead-imports feature's public surface: what app/ and the other features may import from it.
export { importsLiveHandlers } from './live';

/** The import page, a chunk of its own that loads when the route is first opened. */
export const loadImportPage = async () => ({ Component: (await import('./routes/import-page')).ImportPage });
