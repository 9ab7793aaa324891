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

let dir: string | undefined;
const written = new Map<string, string>();

/** Imports of another helper beside it (`./dist.ts`), which get their own stripped copy. */
const SIBLING = /from '\.\/([\w-]+)\.ts'/g;

/** The JavaScript copy of `bench/support/<name>.ts` (and of the helpers beside it that it imports). */
async function stripped(name: string): Promise<string> {
  const known = written.get(name);
  if (known) return known;
  dir ??= await mkdtemp(join(tmpdir(), 'lifeboat-bench-helpers-'));
  const file = join(dir, `${basename(name)}.mjs`);
  written.set(name, file);
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
    args: [...IMAGE_NODE_FLAGS, await stripped(name), ...args],
    env: { ...IMAGE_ENV, PATH: process.env.PATH, LIFEBOAT_DIST: join(REPO_ROOT, 'dist/') },
  };
}

/** Removes the stripped copies (at the end of a benchmark). */
export async function removeImageProcessFiles(): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
  written.clear();
}

/** What the report says about how a helper ran. */
export const IMAGE_PROCESS_METHOD =
  `a \`node\` process of its own with the image's V8 flags (${IMAGE_NODE_FLAGS.join(' ')}) and ENV ` +
  `(${Object.entries(IMAGE_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}), compiled dist/`;
