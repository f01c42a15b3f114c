/** `authchart/node`: adapters that need Node APIs. */
export { type FileStorage, fileStorage } from '../adapters/file-storage.js';
