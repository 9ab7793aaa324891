/**
 * Running a benchmark's helper script as the image runs lifeboat: `node` with the image's V8 flags and ENV, and the
 * helper bundled with the lifeboat code it imports exactly as `npm run build` bundles the image's (scripts/bundle.ts,
 * the same options), into a temporary directory once per run. So the helper runs lifeboat's code in the shipped form
 * (minified chunks, dynamic imports as chunks loaded on demand), and plain JavaScript: type stripping per start would
 * add ≈ 0.15 s the image never pays, and under the image's `--jitless` node cannot strip types at all (its stripper
 * is WebAssembly). A helper imports lifeboat's sources (`src/`) and packages directly; what it loads with `import()`
 * is loaded, as in the image, when that line runs.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from '../../scripts/bundle.ts';
import { IMAGE_ENV, IMAGE_NODE_FLAGS } from '../../test/support/image.ts';
import { REPO_ROOT } from '../../test/support/testenv.ts';

let dir: Promise<string> | undefined;
const written = new Map<string, Promise<string>>();

/**
 * Image flags a run leaves out, to measure the same benchmark without them (`BENCH_DROP_NODE_FLAGS="--jitless
 * --optimize-for-size"` measures with V8's JIT); the reports say which flags ran.
 */
const DROPPED = new Set((process.env.BENCH_DROP_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean));
for (const flag of DROPPED) {
  if (!IMAGE_NODE_FLAGS.includes(flag)) {
    throw new Error(`BENCH_DROP_NODE_FLAGS: ${flag} is not one of the image's flags (${IMAGE_NODE_FLAGS.join(' ')})`);
  }
}
/** The V8 flags benchmark helpers run with. */
export const NODE_FLAGS: readonly string[] = IMAGE_NODE_FLAGS.filter((f) => !DROPPED.has(f));

/** The bundle of `bench/support/<name>.ts`, made once per run: the path of its entry. */
export function bundled(name: string): Promise<string> {
  let file = written.get(name);
  if (!file) {
    file = writeBundle(name);
    written.set(name, file);
    // A failed bundle is not remembered: the next call tries again.
    file.catch(() => written.delete(name));
  }
  return file;
}

async function writeBundle(name: string): Promise<string> {
  dir ??= makeDir();
  // One directory per helper: esbuild names chunks by content, but each build owns the chunks it writes.
  const out = join(await dir, name);
  await bundle({ root: REPO_ROOT, entries: { [name]: `bench/support/${name}.ts` }, outDir: out });
  return join(out, `${name}.js`);
}

/**
 * The directory the bundles go to, laid out as the image's /app: ES modules (package.json), and node_modules for the
 * package the bundle leaves out (@kubernetes/client-node).
 */
async function makeDir(): Promise<string> {
  const made = await mkdtemp(join(tmpdir(), 'lifeboat-bench-helpers-'));
  await mkdir(made, { recursive: true });
  await writeFile(join(made, 'package.json'), '{"type":"module"}\n');
  await symlink(join(REPO_ROOT, 'node_modules'), join(made, 'node_modules'), 'dir');
  return made;
}

/** `node` arguments and environment that run `bench/support/<name>.ts` as the image runs lifeboat. */
export async function imageProcess(
  name: string,
  args: string[],
): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv }> {
  return {
    command: process.execPath,
    args: [...NODE_FLAGS, await bundled(name), ...args],
    env: { ...IMAGE_ENV, PATH: process.env.PATH },
  };
}

/** Removes the bundles (at the end of a benchmark). */
export async function removeImageProcessFiles(): Promise<void> {
  const made = dir;
  dir = undefined;
  written.clear();
  if (made) await rm(await made, { recursive: true, force: true });
}

/** The image's ENV as `NAME=value …`, for reports. */
export const IMAGE_ENV_TEXT = Object.entries(IMAGE_ENV)
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');

/** What the report says about how a helper ran. */
export const IMAGE_PROCESS_METHOD =
  `a \`node\` process of its own with ${DROPPED.size > 0 ? `the image's V8 flags without ${[...DROPPED].join(' ')} (${NODE_FLAGS.join(' ')})` : `the image's V8 flags (${NODE_FLAGS.join(' ')})`} and ENV ` +
  `(${IMAGE_ENV_TEXT}), bundled as \`npm run build\` bundles the image`;

/** The same, short, for method lines. */
export const IMAGE_FLAGS_NOTE =
  DROPPED.size > 0 ? `the image's V8 flags without ${[...DROPPED].join(' ')}, its ENV` : 'image V8 flags and ENV';
