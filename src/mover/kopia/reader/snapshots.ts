/**
 * Snapshot manifests (`labels.type == "snapshot"`, snapshot/manifest.go; kopia's source, repo/format and repo/content)
 * → the catalog's
 * Snapshot, grouped by source `user@host:path` the way `kopia snapshot list --all --json` groups them: sources in
 * string order, snapshots ascending by start time (ties: end time).
 */
import type { Snapshot } from '../../../repository/types.ts';
import { type ManifestEntry, ManifestFormatError } from './manifests.ts';
import { msToIso, nsToMs, parseTimeNs } from './time.ts';

/** A catalog Snapshot plus the Kopia details behind it (the extra fields are for diagnostics and logs). */
export interface KopiaSnapshot extends Snapshot {
  /** `user@host:path`. */
  source: string;
  /** As Kopia wrote them: RFC 3339 with nanoseconds. */
  startTime: string;
  endTime: string;
  /** Why the snapshot is incomplete (`checkpoint`, `limit reached`, `canceled`); absent when complete. */
  incompleteReason?: string;
}

export interface SourceInfo {
  userName: string;
  host: string;
  path: string;
}

/** Kopia's SourceInfo.String(). */
export function sourceString(s: SourceInfo): string {
  if (s.host === '' && s.path === '' && s.userName === '') return '(global)';
  if (s.path === '') return `${s.userName}@${s.host}`;
  return `${s.userName}@${s.host}:${s.path}`;
}

interface ParsedSnapshot {
  startNs: bigint;
  endNs: bigint;
  snapshot: KopiaSnapshot;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function parseSnapshot(entry: ManifestEntry): ParsedSnapshot {
  const d = entry.data as {
    source?: { host?: unknown; userName?: unknown; path?: unknown };
    startTime?: unknown;
    endTime?: unknown;
    incomplete?: unknown;
    stats?: { totalSize?: unknown; fileCount?: unknown };
    rootEntry?: { summ?: { size?: unknown; files?: unknown } };
  } | null;
  if (!d || typeof d !== 'object') throw new ManifestFormatError(`snapshot manifest ${entry.id} has no data`);
  // The manifest's own source is what Kopia groups by; labels are a fallback for hand-written manifests.
  const source = sourceString({
    userName: str(d.source?.userName ?? entry.labels.username),
    host: str(d.source?.host ?? entry.labels.hostname),
    path: str(d.source?.path ?? entry.labels.path),
  });
  const startNs = typeof d.startTime === 'string' ? parseTimeNs(d.startTime) : undefined;
  if (startNs === undefined) {
    throw new ManifestFormatError(`snapshot manifest ${entry.id} has no readable startTime (${String(d.startTime)})`);
  }
  const endTime = typeof d.endTime === 'string' ? d.endTime : '';
  const endNs = parseTimeNs(endTime) ?? startNs;
  const timeMs = nsToMs(startNs);
  const snapshot: KopiaSnapshot = {
    id: entry.id,
    time: msToIso(timeMs),
    timeMs,
    source,
    startTime: d.startTime as string,
    endTime,
  };
  const size = d.stats?.totalSize ?? d.rootEntry?.summ?.size;
  if (typeof size === 'number' && Number.isFinite(size)) snapshot.sizeBytes = size;
  const files = d.stats?.fileCount ?? d.rootEntry?.summ?.files;
  if (typeof files === 'number' && Number.isSafeInteger(files) && files >= 0) snapshot.fileCount = files;
  if (typeof d.incomplete === 'string' && d.incomplete !== '') {
    snapshot.incomplete = true;
    snapshot.incompleteReason = d.incomplete;
  }
  return { startNs, endNs, snapshot };
}

/** Groups the snapshot manifests among `entries` by source; other manifest types (policies, …) are ignored. */
export function snapshotsBySource(entries: Iterable<ManifestEntry>): Map<string, KopiaSnapshot[]> {
  const groups = new Map<string, ParsedSnapshot[]>();
  for (const entry of entries) {
    if (entry.labels.type !== 'snapshot') continue;
    const parsed = parseSnapshot(entry);
    const group = groups.get(parsed.snapshot.source) ?? [];
    group.push(parsed);
    groups.set(parsed.snapshot.source, group);
  }
  const result = new Map<string, KopiaSnapshot[]>();
  for (const source of [...groups.keys()].sort()) {
    const group = groups.get(source) ?? [];
    group.sort(
      (a, b) => compareBig(a.startNs, b.startNs) || compareBig(a.endNs, b.endNs) || cmp(a.snapshot.id, b.snapshot.id),
    );
    result.set(
      source,
      group.map((g) => g.snapshot),
    );
  }
  return result;
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
