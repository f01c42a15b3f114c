/** `authchart/node`: adapters that need Node APIs. */
export { type FileStorage, fileStorage } from './services/file-storage.js';
