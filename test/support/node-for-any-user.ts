/**
 * The node binary, reachable by a process that runs as another user (setpriv --reuid): the test environment's node
 * lives below /root (0700), so another uid cannot execute it in place. A hard link (or a copy across file systems)
 * in a fresh 0755 directory is the same binary at a path every user may traverse.
 */
import { chmod, copyFile, link, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NodeForAnyUser {
  /** The binary's path. */
  node: string;
  /** Its 0755 directory (usable as HOME for the other user). */
  dir: string;
  cleanup(): Promise<void>;
}

export async function nodeForAnyUser(): Promise<NodeForAnyUser> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-node-binary-'));
  await chmod(dir, 0o755);
  const node = join(dir, 'node');
  // Either way the binary keeps its mode (never chmod a hard link: that would change the original).
  await link(process.execPath, node).catch(async () => await copyFile(process.execPath, node));
  return { node, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
