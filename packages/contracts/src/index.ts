export * from './common.js';
export * from './auth.js';
export * from './users.js';
export * from './tasks.js';
export * from './agents.js';
export * from './leads.js';
export * from './events.js';
export * from './pages.js';
