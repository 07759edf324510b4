// The onboarding feature's public surface: what app/ and the other features may import from it.

/** The "Get started" checklist an admin lands on after setup, a chunk of its own. */
export const loadGetStartedPage = async () => ({
  Component: (await import('./routes/get-started-page')).GetStartedPage,
});
