/**
 * Which index blobs are authoritative (kopia's source, repo/format and repo/content). Reading every index blob is
 * wrong: a stale
 * uncompacted blob can resurrect manifest contents that a later compaction retired. This mirrors Kopia 0.21's
 * epoch manager (internal/epoch: refreshAttemptLocked, getCompleteIndexSetForCommittedState,
 * findLongestRangeCheckpoint; internal/completeset) and the legacy v0 manager (index_blob_manager_v0.go).
 */
import type { BlobMeta } from './blob-layout.ts';

/** Epochs younger than this many epochs behind the write epoch are "unsettled": their compactions are not used. */
const UNSETTLED_EPOCHS = 2;

export const LEGACY_POISON_BLOB_ID =
  'n00000000000000000000000000000000-repository_unreadable_by_this_kopia_version_upgrade_required';

/** Epoch number of `<letters><epoch>_…` or `<letters><epoch>` (epochNumberFromBlobID). */
export function epochNumber(blobId: string): number | undefined {
  const underscore = blobId.indexOf('_');
  const head = (underscore >= 0 ? blobId.slice(0, underscore) : blobId).replace(/^\D+/, '');
  return /^\d+$/.test(head) ? Number(head) : undefined;
}

/** Epoch range of `xr<min>_<max>_…` (epochRangeFromBlobID). */
export function epochRange(blobId: string): { min: number; max: number } | undefined {
  const parts = blobId.split('_');
  if (parts.length < 3) return undefined;
  const first = (parts[0] ?? '').replace(/^\D+/, '');
  const second = parts[1] ?? '';
  if (!/^\d+$/.test(first) || !/^\d+$/.test(second)) return undefined;
  return { min: Number(first), max: Number(second) };
}

/**
 * Complete sets among blobs named `<base>-s<set>-c<count>` (completeset.FindAll), in the order they complete while
 * walking `blobs`. A name that does not follow the pattern is a complete set of its own.
 */
export function completeSets(blobs: readonly BlobMeta[]): BlobMeta[][] {
  const sets = new Map<string, BlobMeta[]>();
  const complete: BlobMeta[][] = [];
  for (const blob of blobs) {
    const parts = blob.id.split('-');
    const setPart = parts[1];
    const countPart = parts[2];
    const count = countPart?.startsWith('c') ? parseGoInt(countPart.slice(1)) : undefined;
    if (parts.length < 3 || !setPart?.startsWith('s') || count === undefined) {
      complete.push([blob]);
      continue;
    }
    const members = sets.get(setPart) ?? [];
    members.push(blob);
    sets.set(setPart, members);
    if (members.length === count) complete.push(members.slice());
  }
  return complete;
}

function parseGoInt(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

interface RangeSet {
  min: number;
  max: number;
  blobs: BlobMeta[];
}

/** The chain of range checkpoints from epoch 0 reaching furthest, fewest pieces on ties. */
function longestRangeChain(ranges: readonly RangeSet[]): RangeSet[] {
  const byMin = new Map<number, RangeSet[]>();
  for (const r of ranges) byMin.set(r.min, [...(byMin.get(r.min) ?? []), r]);
  const memo = new Map<number, RangeSet[]>();
  const from = (start: number): RangeSet[] => {
    const cached = memo.get(start);
    if (cached) return cached;
    let longest = 0;
    let best: RangeSet[] = [];
    for (const cp of byMin.get(start) ?? []) {
      // A checkpoint ending before it starts would recurse forever; Kopia never writes one.
      const combined = cp.max >= cp.min ? [cp, ...from(cp.max + 1)] : [cp];
      const reach = combined[combined.length - 1]?.max ?? -1;
      if (reach > longest || (reach === longest && combined.length < best.length)) {
        longest = reach;
        best = combined;
      }
    }
    memo.set(start, best);
    return best;
  };
  return from(0);
}

export interface EpochIndexSet {
  writeEpoch: number;
  blobs: BlobMeta[];
}

/** The active index blobs of an epoch-managed repository, given a listing of every blob starting with `x`. */
export function activeEpochIndexBlobs(xBlobs: readonly BlobMeta[]): EpochIndexSet {
  const sorted = [...xBlobs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let writeEpoch = 0;
  const single = new Map<number, BlobMeta[]>();
  const ranges = new Map<string, RangeSet>();
  const uncompacted = new Map<number, BlobMeta[]>();
  const singleCandidates = new Map<number, BlobMeta[]>();
  const rangeCandidates = new Map<string, { min: number; max: number; blobs: BlobMeta[] }>();

  for (const blob of sorted) {
    const kind = blob.id.slice(0, 2);
    if (kind === 'xe') {
      const e = epochNumber(blob.id);
      if (e !== undefined && e > writeEpoch) writeEpoch = e;
    } else if (kind === 'xs') {
      const e = epochNumber(blob.id);
      if (e !== undefined) singleCandidates.set(e, [...(singleCandidates.get(e) ?? []), blob]);
    } else if (kind === 'xr') {
      const r = epochRange(blob.id);
      if (r) {
        const key = `${r.min}_${r.max}`;
        const group = rangeCandidates.get(key) ?? { ...r, blobs: [] };
        group.blobs.push(blob);
        rangeCandidates.set(key, group);
      }
    } else if (kind === 'xn') {
      const e = epochNumber(blob.id);
      if (e !== undefined) uncompacted.set(e, [...(uncompacted.get(e) ?? []), blob]);
    }
  }
  for (const [e, blobs] of singleCandidates) {
    const first = completeSets(blobs)[0];
    if (first) single.set(e, first);
  }
  for (const [key, group] of rangeCandidates) {
    const first = completeSets(group.blobs)[0];
    if (first) ranges.set(key, { min: group.min, max: group.max, blobs: first });
  }

  const result: BlobMeta[] = [];
  let startEpoch = 0;
  for (const r of longestRangeChain([...ranges.values()])) {
    // Kopia compares with '>' here (not '>='); mirrored so both pick the same set.
    if (r.max > startEpoch) {
      result.push(...r.blobs);
      startEpoch = r.max + 1;
    }
  }
  for (let e = startEpoch; e <= writeEpoch + 1; e++) {
    const settled = e <= writeEpoch - UNSETTLED_EPOCHS;
    const compacted = single.get(e);
    // Uncompacted blobs of an epoch are used without a completeness check, as Kopia does.
    result.push(...(settled && compacted ? compacted : (uncompacted.get(e) ?? [])));
  }
  return { writeEpoch, blobs: result };
}

export interface CompactionLog {
  inputs: string[];
  outputs: string[];
}

/**
 * The active index blobs of a legacy (format v1) repository: every `n` blob, minus the inputs of each compaction
 * log whose outputs all exist.
 */
export function activeLegacyIndexBlobs(nBlobs: readonly BlobMeta[], logs: Iterable<CompactionLog>): BlobMeta[] {
  const present = new Map(nBlobs.map((b) => [b.id, b]));
  const superseded = new Set<string>();
  for (const log of logs) {
    if (log.outputs.every((id) => present.has(id))) for (const id of log.inputs) superseded.add(id);
  }
  return nBlobs.filter((b) => !superseded.has(b.id) && b.id !== LEGACY_POISON_BLOB_ID);
}

/** Parses a decrypted v0 compaction log (`{"inputMetadata":[{"id":…}],"outputMetadata":[…]}`). */
export function parseCompactionLog(plain: Uint8Array): CompactionLog {
  const json = JSON.parse(new TextDecoder().decode(plain)) as { inputMetadata?: unknown; outputMetadata?: unknown };
  const ids = (list: unknown, field: string): string[] => {
    if (list === null || list === undefined) return [];
    if (!Array.isArray(list)) throw new Error(`compaction log field ${field} is not a list`);
    return list.map((m: { id?: unknown }) => {
      if (typeof m?.id !== 'string') throw new Error(`compaction log field ${field} has an entry without id`);
      return m.id;
    });
  };
  return { inputs: ids(json.inputMetadata, 'inputMetadata'), outputs: ids(json.outputMetadata, 'outputMetadata') };
}
