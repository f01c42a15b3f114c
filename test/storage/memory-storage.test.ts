import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/index.js';

describe('memoryStorage', () => {
  it('counts what it holds as it changes, and its methods work taken off the object', () => {
    const storage = memoryStorage([['a', '1']]);
    const { getItem, setItem, removeItem, keys } = storage;
    expect(storage.size).toBe(1);
    setItem('b', '2');
    expect(storage.size).toBe(2);
    expect(getItem('b')).toBe('2');
    expect(getItem('c')).toBeNull();
    removeItem('a');
    expect(storage.size).toBe(1);
    expect(keys()).toEqual(['b']);
  });

  it('each has its own entries', () => {
    const one = memoryStorage();
    const two = memoryStorage();
    one.setItem('k', 'v');
    expect(two.getItem('k')).toBeNull();
    expect(two.size).toBe(0);
  });
});
