#!/usr/bin/env node
// Entry point: runs the compiled CLI from dist/ (built by `npm install`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('topk-gan: dist/ is missing; run `npm install` (or `npm run build`) in the project folder first.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
// exit explicitly: a Python bridge left open would otherwise keep Node alive
process.exit(await main(process.argv));
