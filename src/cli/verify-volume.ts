/**
 * `lifeboat verify-volume --path <dir> [--expect-files N] [--expect-bytes N] [--sentinel <path>]`: what a restore
 * drill's Job runs on the scratch volume (plan/drill.ts). It walks the tree without following symlinks and counts as
 * the repositories' snapshot summaries count (restic `total_files_processed`/`total_bytes_processed`, kopia
 * `fileCount`/`totalSize`): regular files, each path once, their sizes summed; directories, symlinks and special files
 * not at all. Optionally it checks a sentinel file against `<sentinel>.sha256`.
 *
 * Output: one JSON line (decision/drill-verdict.ts's `VolumeScan`) on stdout and, when it exists, in the container's
 * termination message (`/dev/termination-log`), where the controller reads it without any access to Pod logs.
 * Exit status 0: everything expected was found; 5: counts or sentinel differ, or entries could not be read; 1: bad
 * input (no such directory).
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream, existsSync, writeFileSync } from 'node:fs';
import { lstat, open, readdir, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { sentinelPathProblem } from '../config/load-verify.ts';
import type { SentinelCheck, VolumeScan } from '../decision/drill-verdict.ts';
import { EXIT, exitWith, usage } from './exit-codes.ts';
import type { Io } from './io.ts';

/** Unreadable paths kept for the message; the termination message holds at most 4096 bytes. */
const MAX_ERRORS = 5;
/** lstat calls in flight while a directory is counted. */
const PARALLEL = 32;

function describeError(root: string, path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return `${relative(root, path) || '.'}: ${code}`.slice(0, 200);
}

/** Walks `root` (iteratively: deep trees cannot overflow the stack) and counts regular files and their bytes. */
export async function scanVolume(root: string, sentinel?: string): Promise<VolumeScan> {
  const scan: VolumeScan = { files: 0, bytes: 0, unreadable: 0, errors: [] };
  const fail = (path: string, error: unknown) => {
    scan.unreadable++;
    if (scan.errors.length < MAX_ERRORS) scan.errors.push(describeError(root, path, error));
  };
  const dirs = [root];
  while (dirs.length > 0) {
    const dir = dirs.pop() as string;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      fail(dir, error);
      continue;
    }
    for (let i = 0; i < names.length; i += PARALLEL) {
      await Promise.all(
        names.slice(i, i + PARALLEL).map(async (name) => {
          const path = join(dir, name);
          try {
            const st = await lstat(path);
            if (st.isDirectory()) dirs.push(path);
            else if (st.isFile()) {
              scan.files++;
              scan.bytes += st.size;
            }
          } catch (error) {
            fail(path, error);
          }
        }),
      );
    }
  }
  if (sentinel !== undefined) scan.sentinel = await checkSentinel(root, sentinel);
  return scan;
}

const SHA256_LINE = /^([0-9a-fA-F]{64})\b/;

/** The sentinel against `<sentinel>.sha256`, both read inside `root` only (no symlink may lead out). */
export async function checkSentinel(root: string, path: string): Promise<SentinelCheck> {
  const problem = sentinelPathProblem(path);
  if (problem) return { path, state: 'unreadable', message: `sentinel path ${problem}` };
  const [actual, recorded] = [await readInside(root, path, true), await readInside(root, `${path}.sha256`, false)];
  if (actual.state !== 'ok') return { path, state: actual.state, message: `${path} ${actual.message}` };
  if (recorded.state !== 'ok') {
    return {
      path,
      state: recorded.state === 'missing' ? 'no-checksum' : 'unreadable',
      message: `${path}.sha256 ${recorded.message}`,
    };
  }
  const expected = SHA256_LINE.exec(recorded.text.trim())?.[1]?.toLowerCase();
  if (!expected) {
    return {
      path,
      state: 'no-checksum',
      message: `${path}.sha256 does not start with a sha256 in hex (sha256sum format)`,
    };
  }
  return expected === actual.sha256
    ? { path, state: 'match', sha256: actual.sha256 }
    : { path, state: 'differs', expected, actual: actual.sha256 };
}

type Read = { state: 'ok'; sha256: string; text: string } | { state: 'missing' | 'unreadable'; message: string };

async function readInside(root: string, path: string, hash: boolean): Promise<Read> {
  const full = join(root, path);
  try {
    const real = await realpath(full);
    const base = await realpath(root);
    if (!real.startsWith(`${base}/`)) return { state: 'unreadable', message: 'leads outside the volume' };
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      if (!(await handle.stat()).isFile()) return { state: 'unreadable', message: 'is not a regular file' };
      if (!hash) return { state: 'ok', sha256: '', text: (await handle.readFile({ encoding: 'utf8' })).slice(0, 4096) };
      const digest = createHash('sha256');
      for await (const chunk of createReadStream('', { fd: handle, autoClose: false })) digest.update(chunk as Buffer);
      return { state: 'ok', sha256: digest.digest('hex'), text: '' };
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? { state: 'missing', message: 'does not exist' }
      : { state: 'unreadable', message: `cannot be read (${code ?? String(error)})` };
  }
}

/** Whether the scan found what was expected; undefined expectations are not checked. */
export function scanMatches(scan: VolumeScan, expect: { files?: number; bytes?: number; sentinel?: string }): boolean {
  if (scan.unreadable > 0) return false;
  if (expect.files !== undefined && scan.files !== expect.files) return false;
  if (expect.bytes !== undefined && scan.bytes !== expect.bytes) return false;
  return expect.sentinel === undefined || scan.sentinel?.state === 'match';
}

function count(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw usage(`${flag} "${text}" must be a whole number of at least 0`);
  return n;
}

interface VerifyVolumeFlags {
  path: string;
  expectFiles?: string;
  expectBytes?: string;
  sentinel?: string;
  terminationLog: string;
}

export async function runVerifyVolume(flags: VerifyVolumeFlags, io: Io): Promise<number> {
  const expect = {
    files: count('--expect-files', flags.expectFiles),
    bytes: count('--expect-bytes', flags.expectBytes),
    sentinel: flags.sentinel,
  };
  if (flags.sentinel !== undefined) {
    const problem = sentinelPathProblem(flags.sentinel);
    if (problem) throw usage(`--sentinel ${problem}: give a path relative to --path`);
  }
  try {
    if (!(await lstat(flags.path)).isDirectory()) throw usage(`--path ${flags.path} is not a directory`);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw usage(`--path ${flags.path} does not exist`);
    throw error;
  }
  const scan = await scanVolume(flags.path, flags.sentinel);
  const line = JSON.stringify(scan);
  io.out(`${line}\n`);
  if (flags.terminationLog && existsSync(flags.terminationLog)) {
    try {
      writeFileSync(flags.terminationLog, line.slice(0, 4096));
    } catch (error) {
      io.err(`could not write ${flags.terminationLog}: ${(error as Error).message}\n`);
    }
  }
  const matched = scanMatches(scan, {
    ...(expect.files !== undefined ? { files: expect.files } : {}),
    ...(expect.bytes !== undefined ? { bytes: expect.bytes } : {}),
    ...(expect.sentinel !== undefined ? { sentinel: expect.sentinel } : {}),
  });
  if (!matched) {
    io.err(
      `the volume differs from what was expected: ${scan.files} files, ${scan.bytes} bytes found` +
        (expect.files !== undefined || expect.bytes !== undefined
          ? `, ${expect.files ?? '?'} files, ${expect.bytes ?? '?'} bytes expected`
          : '') +
        (scan.unreadable > 0 ? `, ${scan.unreadable} entries unreadable` : '') +
        (scan.sentinel && scan.sentinel.state !== 'match' ? `, sentinel ${scan.sentinel.state}` : '') +
        '\n',
    );
  }
  return matched ? EXIT.ok : EXIT.failed;
}

export function registerVerifyVolumeCommand(program: Command, io: Io): void {
  program
    .command('verify-volume')
    .description(
      'count the regular files and bytes under a directory as a backup summary counts them, and check an optional ' +
        'sentinel file; what a restore drill runs on its scratch volume (exit status 0: as expected, 5: differs)',
    )
    .requiredOption('--path <dir>', 'the directory to scan (the mounted volume)')
    .option('--expect-files <n>', 'the file count the snapshot summary records')
    .option('--expect-bytes <n>', 'the total bytes the snapshot summary records')
    .option('--sentinel <path>', 'a file relative to --path whose sha256 must equal the one in <path>.sha256')
    .option('--termination-log <file>', 'also write the result here when it exists', '/dev/termination-log')
    .action(async (flags: VerifyVolumeFlags) => {
      const status = await runVerifyVolume(flags, io);
      if (status !== 0) throw exitWith(status);
    });
}
