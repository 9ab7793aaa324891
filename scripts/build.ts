/**
 * `npm run build`: lifeboat as it ships, bundled by scripts/bundle.ts into a directory of ES modules (default
 * `dist/`): the entry `lifeboat.js`, and `chunks/` that load as a command needs them (each CLI command is imported
 * lazily, so `lifeboat render` never loads the operator).
 *
 *   node scripts/build.ts [--out-dir <dir>]
 *
 * The output is written beside the target and swapped in when complete, so a failed build leaves the previous one.
 * Type checking is `npm run typecheck` (esbuild only removes the types).
 */
import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle, describeOutput } from './bundle.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = 'lifeboat';

const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } }, strict: true });
const out = resolve(values['out-dir'] ?? join(repo, 'dist'));

// Only a previous build (or nothing) is replaced: a mistyped --out-dir must not remove someone's directory.
if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, `${ENTRY}.js`))) {
  console.error(
    `build: ${out} exists and does not hold a lifeboat build (no ${ENTRY}.js); remove it or pass another --out-dir`,
  );
  process.exit(2);
}

const partial = `${out}.partial-${process.pid}`;
const started = performance.now();
let summary: string;
try {
  summary = describeOutput(await bundle({ root: repo, entries: { [ENTRY]: 'src/cli/main.ts' }, outDir: partial }));
  await rm(out, { recursive: true, force: true });
  await rename(partial, out);
} catch (error) {
  await rm(partial, { recursive: true, force: true });
  console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
// On stderr, as esbuild and tsc report: `npm pack --json` (which runs this as `prepack`) keeps stdout for its JSON.
console.error(
  `build: ${join(out, `${ENTRY}.js`)} (${summary}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
