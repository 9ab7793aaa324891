#!/usr/bin/env node
// The `lifeboat` command. In a checkout it runs the TypeScript source (Node strips the types), so `npx lifeboat` needs
// no build step and never runs stale output; the installed package ships no source and runs the bundle in dist/
// (built by `npm pack` through the `prepack` script).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(source) ? source.href : new URL('../dist/lifeboat.js', import.meta.url).href);
