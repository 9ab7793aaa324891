/**
 * The manifest store (repo/manifest; kopia's source, repo/format and repo/content): every live 'm' content holds
 * gzip(JSON
 * `{"entries":[…]}`). Across contents the entry with the latest `modified` wins per manifest ID, and winners marked
 * `deleted` (tombstones written by `snapshot delete`, retention and compaction) are dropped afterwards.
 */
import { gunzipSync } from 'node:zlib';
import { parseTimeNs } from './time.ts';

export interface ManifestEntry {
  id: string;
  labels: Record<string, string>;
  modified: string;
  modifiedNs: bigint;
  deleted: boolean;
  /** The manifest payload (for snapshots: snapshot.Manifest JSON), undefined for tombstones. */
  data: unknown;
}

export class ManifestFormatError extends Error {
  override readonly name = 'ManifestFormatError';
}

/** Decodes one manifest content (after decryption and content-level decompression). */
export function parseManifestContent(plain: Uint8Array): ManifestEntry[] {
  let text: string;
  try {
    text = gunzipSync(plain).toString('utf8');
  } catch (error) {
    throw new ManifestFormatError('manifest content is not gzip', { cause: error });
  }
  let json: { entries?: unknown };
  try {
    json = JSON.parse(text) as { entries?: unknown };
  } catch (error) {
    throw new ManifestFormatError('manifest content is not JSON', { cause: error });
  }
  if (json.entries === null || json.entries === undefined) return [];
  if (!Array.isArray(json.entries)) throw new ManifestFormatError('manifest content has no "entries" list');
  return json.entries.map((raw: unknown, i: number) => parseEntry(raw, i));
}

function parseEntry(raw: unknown, index: number): ManifestEntry {
  const e = raw as { id?: unknown; labels?: unknown; modified?: unknown; deleted?: unknown; data?: unknown };
  if (typeof e?.id !== 'string' || e.id === '') throw new ManifestFormatError(`manifest entry #${index} has no id`);
  if (typeof e.modified !== 'string') throw new ManifestFormatError(`manifest entry ${e.id} has no "modified" time`);
  const modifiedNs = parseTimeNs(e.modified);
  if (modifiedNs === undefined) {
    throw new ManifestFormatError(`manifest entry ${e.id} has an unreadable "modified" time "${e.modified}"`);
  }
  const labels: Record<string, string> = {};
  if (e.labels && typeof e.labels === 'object') {
    for (const [k, v] of Object.entries(e.labels)) if (typeof v === 'string') labels[k] = v;
  }
  return { id: e.id, labels, modified: e.modified, modifiedNs, deleted: e.deleted === true, data: e.data };
}

/** Live manifest entries by ID after applying `modified` precedence and tombstones. */
export function mergeManifestEntries(contents: Iterable<readonly ManifestEntry[]>): Map<string, ManifestEntry> {
  const merged = new Map<string, ManifestEntry>();
  for (const entries of contents) {
    for (const entry of entries) {
      const previous = merged.get(entry.id);
      // Strictly later wins (Kopia: e.ModTime.After(prev.ModTime)); equal times keep the first seen.
      if (previous === undefined || entry.modifiedNs > previous.modifiedNs) merged.set(entry.id, entry);
    }
  }
  for (const [id, entry] of merged) if (entry.deleted) merged.delete(id);
  return merged;
}
