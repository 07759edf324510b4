export * from './users.js';
export * from './tasks.js';
export * from './leads.js';
export * from './events.js';
export * from './idempotency.js';
export * from './workspace.js';
