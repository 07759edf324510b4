/** Worker-thread entry point: checks one chunk of a lead file (phone parsing is the costly part). */
export { checkChunk as default } from './lead-rows.js';
