/**
 * Scratch directories under the system's temp dir that are removed when the test process exits, for tests whose
 * directory outlives their own cleanup (a shared fixture, or an installation that goes with its cluster).
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (made.size === 0) {
    process.once('exit', () => {
      for (const path of made) {
        try {
          rmSync(path, { recursive: true, force: true });
        } catch {
          // best effort: a failure here must not turn a passing test file into a failing one
        }
      }
    });
  }
  made.add(dir);
  return dir;
}
