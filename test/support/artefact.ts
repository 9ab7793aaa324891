/**
 * The built JavaScript the container image runs, assembled like the image's /app: `dist/` bundled by the build
 * script's own command (`node scripts/build.ts`, into a temporary directory so concurrent builds in the shared
 * working tree never collide), package.json beside it (ES modules), and node_modules.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './testenv.ts';

const run = promisify(execFile);

export interface Artefact {
  /** The stand-in for the image's WORKDIR /app. */
  dir: string;
  /** The command npm's build script runs, as found in package.json. */
  buildCommand: string;
  remove(): Promise<void>;
}

export async function buildArtefact(): Promise<Artefact> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } };
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-artefact-'));
  try {
    const [tool, ...args] = pkg.scripts.build.split(' ');
    if (tool !== 'node' || args.join(' ') !== 'scripts/build.ts')
      throw new Error(`the build script is "${pkg.scripts.build}"; this helper knows how to run node scripts/build.ts`);
    await run(process.execPath, [...args, '--out-dir', join(dir, 'dist')], { cwd: REPO_ROOT });
    await copyFile(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
    await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, buildCommand: pkg.scripts.build, remove: () => rm(dir, { recursive: true, force: true }) };
}
