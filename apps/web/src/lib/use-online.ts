// Whether the server can be reached: see connection.ts (events, failed requests and a probe).
export { useOnline } from './connection';
