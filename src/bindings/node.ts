/** `authchart/node`: adapters that need Node APIs. */
export { type FileStorage, type FileStorageOptions, fileStorage } from '../adapters/file-storage.js';
