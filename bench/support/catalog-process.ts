/**
 * lifeboat's catalog in a process of its own, started by bench/catalog.ts with the image's V8 flags and ENV and
 * loading lifeboat as shipped (bundled as the image's code is), so what it measures runs as it runs in the image (`--jitless`
 * or not), not with the warm JIT of the benchmark process. Two modes:
 * - **cold** (`cold <spec>`): a fresh `node` (no JIT warmth, no module cache, no derived keys, no open connections)
 *   reads every repository once, prints one JSON line and exits. Its twin is a fresh `kopia` or `restic` process.
 * - **warm** (`warm <spec>`): reads every repository once, prints `{"pvcs":N}`, then answers one JSON line per request
 *   line on stdin: `{"op":"refresh"}` (one periodic refresh, timed) or `{"op":"decide","count":N}` (N decisions from
 *   the catalog, as admission and `/exists` make them, mean µs). It exits when stdin closes.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Catalog } from '../../src/catalog/catalog.ts';
import type { CatalogSource, PvcRef } from '../../src/repository/source.ts';

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

/** Only the key derivations (see ColdScanSpec); `pvcs` is 0. */
async function deriveOnly(spec: Extract<ColdScanSpec, { kind: 'kopia-key' | 'restic-keys' }>): Promise<ColdScanResult> {
  const started = performance.now();
  if (spec.kind === 'kopia-key') {
    const crypto = await import('../../src/mover/kopia/reader/crypto.ts');
    const loaded = performance.now();
    // The salt is the repository's unique ID: its value does not change the cost.
    await crypto.deriveFormatKey(spec.password, randomBytes(32), crypto.SCRYPT_ALGORITHM);
    return { pvcs: 0, loadMs: loaded - started, scanMs: performance.now() - loaded };
  }
  const { parseKeyFile } = await import('../../src/mover/restic/reader/keys.ts');
  const { deriveUserKey } = await import('../../src/mover/restic/reader/crypto.ts');
  const { mapLimit } = await import('../../src/mover/restic/reader/map-limit.ts');
  const loaded = performance.now();
  await mapLimit(spec.keyFiles, spec.concurrency, async (file) =>
    deriveUserKey(spec.password, parseKeyFile(await readFile(file))),
  );
  return { pvcs: 0, loadMs: loaded - started, scanMs: performance.now() - loaded };
}

/** The specs that read repositories (cold or warm). */
export type ScanSpec = Extract<ColdScanSpec, { kind: 'kopia' | 'restic' }>;

/** The catalog of `spec`'s repositories, and how long loading lifeboat's modules took. */
async function openCatalog(spec: ScanSpec): Promise<{ catalog: Catalog; source: CatalogSource; loadMs: number }> {
  const started = performance.now();
  const { Catalog } = await import('../../src/catalog/catalog.ts');
  const credentials = async () => ({ password: spec.password });
  let source: CatalogSource;
  if (spec.kind === 'kopia') {
    const { kopiaSource } = await import('../../src/mover/kopia/catalog-source.ts');
    source = kopiaSource({
      location: { kind: 'filesystem', path: spec.repoPath },
      identity: spec.identity,
      credentials,
    });
  } else {
    const { resticSource } = await import('../../src/mover/restic/catalog-source.ts');
    source = resticSource({ repository: spec.repository, credentials });
  }
  const loadMs = performance.now() - started;
  return { catalog: new Catalog({ source }), source, loadMs };
}

/** One full read of every repository; throws unless it succeeded and read what `spec` says there is. */
async function fullRead(spec: ScanSpec, catalog: Catalog): Promise<number> {
  const started = performance.now();
  const report = await catalog.refresh();
  const ms = performance.now() - started;
  if (report.result !== 'success') throw new Error(`the ${spec.kind} scan failed: ${JSON.stringify(report)}`);
  if (spec.kind === 'restic' && report.repositories !== spec.repositories) {
    throw new Error(`the ${spec.kind} scan read ${report.repositories} repositories, expected ${spec.repositories}`);
  }
  return ms;
}

async function scan(spec: ColdScanSpec): Promise<ColdScanResult> {
  if (spec.kind === 'kopia-key' || spec.kind === 'restic-keys') return await deriveOnly(spec);
  const { catalog, source, loadMs } = await openCatalog(spec);
  const scanMs = await fullRead(spec, catalog);
  const pvcs = catalog.pvcs().length;
  await catalog.stop();
  source.close();
  return { pvcs, loadMs, scanMs };
}

/** A request to the warm process, one JSON line on its stdin; each gets one JSON line back. */
export type WarmRequest = { op: 'refresh' } | { op: 'decide'; count: number };
export type WarmReply = { ms: number } | { micros: number } | { error: string };

/** Mean microseconds per decision over `count` lookups (the admission and `/exists` path), all of them restores. */
async function decisionMicros(catalog: Catalog, count: number): Promise<number> {
  const { decide } = await import('../../src/decision/decide.ts');
  const refs: PvcRef[] = catalog.pvcs();
  let restores = 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const ref = refs[i % refs.length] as PvcRef;
    const d = decide({ facts: await catalog.lookup(ref), nowMs: catalog.now(), staleAfterMs: catalog.staleAfterMs });
    if (d.decision === 'restore') restores++;
  }
  const micros = ((performance.now() - start) * 1000) / count;
  if (restores !== count) throw new Error(`expected only restore decisions, got ${restores} of ${count}`);
  return micros;
}

async function serveWarm(spec: ScanSpec): Promise<void> {
  const { catalog, source } = await openCatalog(spec);
  await fullRead(spec, catalog);
  process.stdout.write(`${JSON.stringify({ pvcs: catalog.pvcs().length })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const request = JSON.parse(line) as WarmRequest;
    let reply: WarmReply;
    try {
      reply =
        request.op === 'refresh'
          ? { ms: await fullRead(spec, catalog) }
          : { micros: await decisionMicros(catalog, request.count) };
    } catch (error) {
      reply = { error: error instanceof Error ? error.message : String(error) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
  await catalog.stop();
  source.close();
}

if (import.meta.main) {
  const [mode, spec] = process.argv.slice(2);
  if ((mode !== 'cold' && mode !== 'warm') || !spec) {
    throw new Error('usage: node bench/support/catalog-process.ts cold|warm <spec as JSON>');
  }
  const parsed = JSON.parse(spec) as ColdScanSpec;
  if (mode === 'cold') process.stdout.write(`${JSON.stringify(await scan(parsed))}\n`);
  else if (parsed.kind === 'kopia' || parsed.kind === 'restic') await serveWarm(parsed);
  else throw new Error(`a warm catalog needs a repository to read, not ${parsed.kind}`);
}
