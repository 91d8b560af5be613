import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package root, both from ts/ (tests) and from dist/ (the built CLI).
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
