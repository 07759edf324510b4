/**
 * The web app's pages (its router's paths). The server answers these with the app and 200; any
 * other path without a file gets the app's not-found page with 404, so a probe or a scanner pointed
 * at an unknown path never sees a 200.
 */
export const pagePaths = [
  '/',
  '/sign-in',
  '/register',
  '/setup',
  '/tasks',
  '/dashboard',
  '/get-started',
  '/settings',
  '/leads',
  '/leads/:id',
  '/admin/agents',
  '/admin/import',
  '/admin/users',
] as const;
export type PagePath = (typeof pagePaths)[number];
