// The auth feature's public surface: what app/ and the other features may import from it.
export { followOtherTab, restoreSession, signOut } from './api/session-actions';

// The sign-in pages, each a chunk of its own that loads when its route is first opened.
export const loadSignInPage = async () => ({ Component: (await import('./routes/sign-in')).SignInPage });
export const loadRegisterPage = async () => ({ Component: (await import('./routes/register')).RegisterPage });
export const loadSetupPage = async () => ({ Component: (await import('./routes/setup')).SetupPage });
