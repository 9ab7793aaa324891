import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexEntry } from './index-blob.ts';
import { liveContents } from './merge.ts';

function entry(contentId: string, timestamp: number, pack: string, deleted = false): IndexEntry {
  return {
    contentId,
    timestamp,
    deleted,
    packBlobId: pack,
    packOffset: 0,
    packedLength: 10,
    originalLength: 0,
    compressionHeaderId: 0,
    formatVersion: 1,
    encryptionKeyId: 0,
  };
}

describe('merging index entries across index blobs', () => {
  const cases: { name: string; indexes: IndexEntry[][]; live: [string, string][] }[] = [
    { name: 'newer timestamp wins', indexes: [[entry('m1', 10, 'qa')], [entry('m1', 20, 'qb')]], live: [['m1', 'qb']] },
    {
      name: 'a newer deletion hides the content',
      indexes: [[entry('m1', 10, 'qa')], [entry('m1', 20, 'qa', true)]],
      live: [],
    },
    {
      name: 'an older deletion does not hide a rewrite',
      indexes: [[entry('m1', 30, 'qc')], [entry('m1', 20, 'qa', true)]],
      live: [['m1', 'qc']],
    },
    {
      name: 'on equal time a live entry beats a deleted one',
      indexes: [[entry('m1', 10, 'qa', true)], [entry('m1', 10, 'qb')]],
      live: [['m1', 'qb']],
    },
    {
      name: 'then the larger pack ID wins',
      indexes: [[entry('m1', 10, 'qb')], [entry('m1', 10, 'qa')]],
      live: [['m1', 'qb']],
    },
    {
      name: 'independent contents are all kept',
      indexes: [[entry('m1', 10, 'qa'), entry('m2', 10, 'qa')], [entry('m3', 5, 'qz')]],
      live: [
        ['m1', 'qa'],
        ['m2', 'qa'],
        ['m3', 'qz'],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      for (const order of [c.indexes, [...c.indexes].reverse()]) {
        const live = [...liveContents(order)].map(([id, e]) => [id, e.packBlobId]).sort();
        assert.deepEqual(live, c.live);
      }
    });
  }
});
