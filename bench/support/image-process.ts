/**
 * Running a benchmark's helper script as the image runs lifeboat: `node` with the image's V8 flags and ENV, loading
 * lifeboat's compiled `dist/`. The helper is one of bench/support's TypeScript files with its types stripped, written
 * to a temporary directory once per run: the image runs plain JavaScript (type stripping per start would add
 * ≈ 0.15 s the image never pays), and under the image's `--jitless` node cannot strip types at all (its stripper is
 * WebAssembly). A helper therefore reaches lifeboat only through ./dist.ts (`LIFEBOAT_DIST`), and imports nothing
 * else of the repository but types and the helpers beside it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { IMAGE_ENV, IMAGE_NODE_FLAGS } from '../../test/support/image.ts';
import { REPO_ROOT } from '../../test/support/testenv.ts';

let dir: Promise<string> | undefined;
const written = new Map<string, Promise<string>>();

/** Imports of another helper beside it (`./dist.ts`), which get their own stripped copy. */
const SIBLING = /from '\.\/([\w-]+)\.ts'/g;

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

/**
 * The JavaScript copy of `bench/support/<name>.ts` (and of the helpers beside it that it imports), written once per
 * run: the path of the copy.
 */
export function stripped(name: string): Promise<string> {
  let file = written.get(name);
  if (!file) {
    file = writeStripped(name);
    written.set(name, file);
    // A failed copy is not remembered: the next call tries again.
    file.catch(() => written.delete(name));
  }
  return file;
}

async function writeStripped(name: string): Promise<string> {
  dir ??= mkdtemp(join(tmpdir(), 'lifeboat-bench-helpers-'));
  const file = join(await dir, `${basename(name)}.mjs`);
  const source = stripTypeScriptTypes(await readFile(join(REPO_ROOT, 'bench/support', `${name}.ts`), 'utf8'));
  for (const [, sibling] of source.matchAll(SIBLING)) await stripped(sibling as string);
  await writeFile(file, source.replace(SIBLING, "from './$1.mjs'"));
  return file;
}

/** `node` arguments and environment that run `bench/support/<name>.ts` as the image runs lifeboat. */
export async function imageProcess(
  name: string,
  args: string[],
): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv }> {
  if (!existsSync(join(REPO_ROOT, 'dist/catalog/catalog.js'))) {
    throw new Error(
      `bench/support/${name}.ts runs the compiled lifeboat: run \`npm run build\` first (\`npm run bench\` does)`,
    );
  }
  return {
    command: process.execPath,
    args: [...NODE_FLAGS, await stripped(name), ...args],
    env: { ...IMAGE_ENV, PATH: process.env.PATH, LIFEBOAT_DIST: join(REPO_ROOT, 'dist/') },
  };
}

/** Removes the stripped copies (at the end of a benchmark). */
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
  `(${IMAGE_ENV_TEXT}), compiled dist/`;

/** The same, short, for method lines. */
export const IMAGE_FLAGS_NOTE =
  DROPPED.size > 0 ? `the image's V8 flags without ${[...DROPPED].join(' ')}, its ENV` : 'image V8 flags and ENV';
