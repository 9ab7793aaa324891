/**
 * Merging one content's entries from several active index blobs (repo/content/index/merged.go
 * contentInfoGreaterThanStruct): the newer timestamp wins; on a tie a live entry beats a deleted one; on a further
 * tie the lexicographically larger pack ID wins, so every reader resolves to the same pack.
 */
import type { IndexEntry } from './index-blob.ts';

export function newerEntry(a: IndexEntry, b: IndexEntry): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  if (a.deleted !== b.deleted) return !a.deleted;
  return a.packBlobId > b.packBlobId;
}

/**
 * The live contents across all given index blobs: per content ID the winning entry, omitted when that winner is
 * marked deleted (a deleted winner hides every older live entry — that is how manifest compaction retires contents).
 */
export function liveContents(indexes: Iterable<readonly IndexEntry[]>): Map<string, IndexEntry> {
  const winners = new Map<string, IndexEntry>();
  for (const entries of indexes) {
    for (const entry of entries) {
      const current = winners.get(entry.contentId);
      if (current === undefined || newerEntry(entry, current)) winners.set(entry.contentId, entry);
    }
  }
  for (const [id, entry] of winners) if (entry.deleted) winners.delete(id);
  return winners;
}
