/**
 * restic snapshot JSON (restic's design document, doc/design.rst) → the catalog's Snapshot, plus the fields the caller
 * filters on.
 * The ID is not stored in the JSON: it is the file name (sha256 of the encrypted file).
 */
import type { Snapshot } from '../../../repository/types.ts';
import { FormatError } from './format.ts';

export interface ResticSnapshot extends Snapshot {
  /** First 8 characters of the ID, as `restic snapshots` shows it. */
  shortId: string;
  hostname: string;
  /** The backing-up user; may be empty (the VolSync mover's container user often has no passwd entry). */
  username: string;
  /** Absolute paths that were backed up; the VolSync mover writes `["/data"]`. */
  paths: string[];
  tags: string[];
  /** Root tree blob ID. */
  tree: string;
  parent?: string;
  /** Set when tags or metadata were rewritten: the ID of the first version of this snapshot. */
  original?: string;
  programVersion?: string;
}

/** The snapshot plus the nanoseconds below `timeMs`, so that snapshots in the same millisecond still sort exactly. */
export interface ParsedSnapshot {
  snapshot: ResticSnapshot;
  subMillisecondNs: number;
}

/** What VolSync's restic mover writes: `cd /data && restic backup --host volsync .` (docs/design.md#movers-and-secrets). */
export function isVolSyncSnapshot(snapshot: Pick<ResticSnapshot, 'hostname' | 'paths'>): boolean {
  return snapshot.hostname === 'volsync' && snapshot.paths.includes('/data');
}

export function parseSnapshot(id: string, json: unknown): ParsedSnapshot {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FormatError('snapshot is not a JSON object');
  }
  const raw = json as Record<string, unknown>;
  if (typeof raw.time !== 'string') throw new FormatError('snapshot has no "time"');
  const time = parseRfc3339(raw.time);
  if (!time) throw new FormatError(`snapshot time '${raw.time}' is not RFC 3339`);
  if (typeof raw.tree !== 'string') throw new FormatError('snapshot has no "tree"');
  const snapshot: ResticSnapshot = {
    id,
    shortId: id.slice(0, 8),
    time: new Date(time.ms).toISOString(),
    timeMs: time.ms,
    hostname: optionalString(raw.hostname, 'hostname') ?? '',
    username: optionalString(raw.username, 'username') ?? '',
    paths: stringArray(raw.paths, 'paths'),
    tags: stringArray(raw.tags, 'tags'),
    tree: raw.tree,
  };
  const size = summaryCount(raw.summary, 'total_bytes_processed');
  if (size !== undefined) snapshot.sizeBytes = size;
  const files = summaryCount(raw.summary, 'total_files_processed');
  if (files !== undefined) snapshot.fileCount = files;
  const parent = optionalString(raw.parent, 'parent');
  if (parent) snapshot.parent = parent;
  const original = optionalString(raw.original, 'original');
  if (original) snapshot.original = original;
  const programVersion = optionalString(raw.program_version, 'program_version');
  if (programVersion) snapshot.programVersion = programVersion;
  return { snapshot, subMillisecondNs: time.subMillisecondNs };
}

/** Oldest first; same instant → by ID so the order is stable. */
export function compareSnapshots(a: ParsedSnapshot, b: ParsedSnapshot): number {
  return (
    a.snapshot.timeMs - b.snapshot.timeMs ||
    a.subMillisecondNs - b.subMillisecondNs ||
    (a.snapshot.id < b.snapshot.id ? -1 : a.snapshot.id > b.snapshot.id ? 1 : 0)
  );
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Go's RFC 3339 with up to nanoseconds and any UTC offset → epoch milliseconds plus the nanoseconds below them.
 * Written out rather than Date.parse: that truncates fractions inconsistently and accepts non-RFC formats.
 */
export function parseRfc3339(text: string): { ms: number; subMillisecondNs: number } | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = m;
  const nanos = Number(fraction.padEnd(9, '0'));
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const fields = [Number(month), Number(day), Number(hour), Number(minute), Number(second)] as const;
  if (fields[0] < 1 || fields[0] > 12 || fields[1] < 1 || fields[1] > 31) return undefined;
  if (fields[2] > 23 || fields[3] > 59 || fields[4] > 60) return undefined;
  const local = Date.UTC(Number(year), fields[0] - 1, fields[1], fields[2], fields[3], fields[4]);
  if (new Date(local).getUTCDate() !== fields[1]) return undefined; // 31 February and the like
  return { ms: local - offsetMinutes * 60_000 + Math.floor(nanos / 1e6), subMillisecondNs: nanos % 1e6 };
}

function summaryCount(summary: unknown, field: string): number | undefined {
  if (typeof summary !== 'object' || summary === null) return undefined;
  const value = (summary as Record<string, unknown>)[field];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FormatError(`snapshot "${field}" is not a string`);
  return value;
}

function stringArray(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new FormatError(`snapshot "${field}" is not a list of strings`);
  }
  return value;
}
