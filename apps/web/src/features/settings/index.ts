// The settings feature's public surface: what app/ and the other features may import from it.

/** The settings page, a chunk of its own that loads when the route is first opened. */
export const loadSettingsPage = async () => ({
  Component: (await import('./routes/settings-page')).SettingsPage,
});
