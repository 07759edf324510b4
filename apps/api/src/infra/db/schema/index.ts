export * from './users.js';
export * from './tasks.js';
