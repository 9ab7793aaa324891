/**
 * One cold full scan in a process of its own. bench/catalog.ts starts this file in a fresh `node` (no JIT warmth, no
 * module cache, no derived keys, no open connections) with the image's V8 flags; it loads lifeboat's reader as
 * shipped (the compiled `dist/`), reads every repository once, prints one JSON line and exits. Its twin on the other
 * side is a fresh `kopia` or `restic` process.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogSource } from '../../src/repository/source.ts';

/**
 * A full scan of a kopia repository or of restic repositories; or, to show the floor of any reader that checks the
 * password as kopia and restic do, only the key derivations such a scan cannot skip: kopia's one scrypt of the
 * format key, and one scrypt per restic repository (its key file's own parameters), as many at once as the reader.
 */
export type ColdScanSpec =
  | { kind: 'kopia'; repoPath: string; identity: string; password: string; pvcs: number }
  | { kind: 'restic'; repository: string; password: string; repositories: number }
  | { kind: 'kopia-key'; password: string }
  | { kind: 'restic-keys'; keyFiles: string[]; password: string; concurrency: number };

export interface ColdScanResult {
  pvcs: number;
  /** Loading lifeboat's modules (after node itself started). */
  loadMs: number;
  /** The full refresh: key derivation, index and snapshot reads. */
  scanMs: number;
}

/** The compiled tree; bench/catalog.ts runs a type-stripped copy of this file from elsewhere and says where. */
const DIST = process.env.LIFEBOAT_DIST ?? new URL('../../dist/', import.meta.url).pathname;

async function load<T>(module: string): Promise<T> {
  return (await import(join(DIST, module))) as T;
}

/** Only the key derivations (see ColdScanSpec); `pvcs` is 0. */
async function deriveOnly(spec: Extract<ColdScanSpec, { kind: 'kopia-key' | 'restic-keys' }>): Promise<ColdScanResult> {
  const started = performance.now();
  if (spec.kind === 'kopia-key') {
    const crypto = await load<typeof import('../../src/mover/kopia/reader/crypto.ts')>('mover/kopia/reader/crypto.js');
    const loaded = performance.now();
    // The salt is the repository's unique ID: its value does not change the cost.
    await crypto.deriveFormatKey(spec.password, randomBytes(32), crypto.SCRYPT_ALGORITHM);
    return { pvcs: 0, loadMs: loaded - started, scanMs: performance.now() - loaded };
  }
  const { parseKeyFile } =
    await load<typeof import('../../src/mover/restic/reader/keys.ts')>('mover/restic/reader/keys.js');
  const { deriveUserKey } = await load<typeof import('../../src/mover/restic/reader/crypto.ts')>(
    'mover/restic/reader/crypto.js',
  );
  const { mapLimit } = await load<typeof import('../../src/mover/restic/reader/map-limit.ts')>(
    'mover/restic/reader/map-limit.js',
  );
  const loaded = performance.now();
  await mapLimit(spec.keyFiles, spec.concurrency, async (file) =>
    deriveUserKey(spec.password, parseKeyFile(await readFile(file))),
  );
  return { pvcs: 0, loadMs: loaded - started, scanMs: performance.now() - loaded };
}

async function scan(spec: ColdScanSpec): Promise<ColdScanResult> {
  if (spec.kind === 'kopia-key' || spec.kind === 'restic-keys') return await deriveOnly(spec);
  const started = performance.now();
  const { Catalog } = await load<typeof import('../../src/catalog/catalog.ts')>('catalog/catalog.js');
  const credentials = async () => ({ password: spec.password });
  let source: CatalogSource;
  if (spec.kind === 'kopia') {
    const { kopiaSource } = await load<typeof import('../../src/mover/kopia/catalog-source.ts')>(
      'mover/kopia/catalog-source.js',
    );
    source = kopiaSource({
      location: { kind: 'filesystem', path: spec.repoPath },
      identity: spec.identity,
      credentials,
    });
  } else {
    const { resticSource } = await load<typeof import('../../src/mover/restic/catalog-source.ts')>(
      'mover/restic/catalog-source.js',
    );
    source = resticSource({ repository: spec.repository, credentials });
  }
  const loaded = performance.now();
  const catalog = new Catalog({ source });
  const report = await catalog.refresh();
  const scanned = performance.now();
  if (report.result !== 'success') throw new Error(`the cold ${spec.kind} scan failed: ${JSON.stringify(report)}`);
  if (spec.kind === 'restic' && report.repositories !== spec.repositories) {
    throw new Error(`the cold restic scan read ${report.repositories} repositories, expected ${spec.repositories}`);
  }
  const pvcs = catalog.pvcs().length;
  await catalog.stop();
  source.close();
  return { pvcs, loadMs: loaded - started, scanMs: scanned - loaded };
}

if (import.meta.main) {
  const spec = process.argv[2];
  if (!spec) throw new Error('usage: node bench/support/cold-scan.ts <ColdScanSpec as JSON>');
  process.stdout.write(`${JSON.stringify(await scan(JSON.parse(spec) as ColdScanSpec))}\n`);
}
