import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlobMeta } from './blob-layout.ts';
import {
  activeEpochIndexBlobs,
  activeLegacyIndexBlobs,
  completeSets,
  epochNumber,
  epochRange,
  LEGACY_POISON_BLOB_ID,
  parseCompactionLog,
} from './index-set.ts';

const H = (n: number) => n.toString(16).padStart(32, '0');
const blobs = (...ids: string[]): BlobMeta[] => ids.map((id) => ({ id, key: id, size: 100 }));
const ids = (list: BlobMeta[]) => list.map((b) => b.id).sort();

describe('epoch blob name parsing', () => {
  const numbers: [string, number | undefined][] = [
    ['xn0_abc-s1-c1', 0],
    ['xn12_abc-s1-c1', 12],
    ['xe7', 7],
    ['xs3_abc', 3],
    ['xn_abc', undefined],
    ['xnx_abc', undefined],
  ];
  for (const [id, n] of numbers) it(`epoch of ${id} is ${n}`, () => assert.equal(epochNumber(id), n));

  it('reads range checkpoint bounds', () => {
    assert.deepEqual(epochRange(`xr0_6_${H(1)}-s1-c1`), { min: 0, max: 6 });
    assert.deepEqual(epochRange(`xr10_12_${H(1)}`), { min: 10, max: 12 });
    assert.equal(epochRange(`xr3_${H(1)}`), undefined);
  });
});

describe('complete sets', () => {
  it('groups <base>-s<set>-c<count> and returns only sets with all members, in completion order', () => {
    const sets = completeSets(blobs('a-s1-c2', 'b-s2-c1', 'c-s3-c2', 'd-s1-c2', 'plain', 'e-x-c1', 'f-s4-cx'));
    assert.deepEqual(
      sets.map((s) => s.map((b) => b.id)),
      [['b-s2-c1'], ['a-s1-c2', 'd-s1-c2'], ['plain'], ['e-x-c1'], ['f-s4-cx']],
    );
  });
});

describe('active epoch index blobs (Kopia epoch manager)', () => {
  it('uses every uncompacted blob of epochs 0..writeEpoch+1 when nothing is compacted', () => {
    const listing = blobs(`xn0_${H(1)}-s1-c1`, `xn0_${H(2)}-s2-c1`, `xn1_${H(3)}-s3-c1`, 'xe1', `xn3_${H(4)}-s4-c1`);
    const set = activeEpochIndexBlobs(listing);
    assert.equal(set.writeEpoch, 1);
    // Epoch 3 is beyond writeEpoch + 1: a stray blob from a future epoch is not read (Kopia does not list it).
    assert.deepEqual(ids(set.blobs), [`xn0_${H(1)}-s1-c1`, `xn0_${H(2)}-s2-c1`, `xn1_${H(3)}-s3-c1`]);
  });

  it('uses a complete single-epoch compaction instead of the uncompacted blobs of a settled epoch', () => {
    const listing = blobs(
      'xe3',
      `xn0_${H(1)}-s1-c1`,
      `xs0_${H(9)}-sA-c1`,
      `xn1_${H(2)}-s2-c1`,
      `xs1_${H(8)}-sB-c2`, // incomplete: one of two members
      `xn2_${H(3)}-s3-c1`,
      `xs2_${H(7)}-sC-c1`, // epoch 2 is not settled with writeEpoch 3: ignored
      `xn3_${H(4)}-s4-c1`,
    );
    assert.deepEqual(ids(activeEpochIndexBlobs(listing).blobs), [
      `xn1_${H(2)}-s2-c1`,
      `xn2_${H(3)}-s3-c1`,
      `xn3_${H(4)}-s4-c1`,
      `xs0_${H(9)}-sA-c1`,
    ]);
  });

  it('starts after the longest chain of range checkpoints and ignores incomplete ones', () => {
    const listing = blobs(
      'xe9',
      `xr0_3_${H(1)}-sR1-c1`,
      `xr4_6_${H(2)}-sR2-c1`,
      `xr0_6_${H(3)}-sR3-c2`, // incomplete, would reach as far with fewer pieces
      `xr0_2_${H(4)}-sR4-c1`, // shorter chain
      `xn5_${H(5)}-s5-c1`, // covered by the range: stale
      `xs7_${H(6)}-s6-c1`,
      `xn7_${H(7)}-s7-c1`,
      `xn8_${H(8)}-s8-c1`,
      `xn10_${H(9)}-s9-c1`,
    );
    assert.deepEqual(ids(activeEpochIndexBlobs(listing).blobs), [
      `xn10_${H(9)}-s9-c1`,
      `xn8_${H(8)}-s8-c1`,
      `xr0_3_${H(1)}-sR1-c1`,
      `xr4_6_${H(2)}-sR2-c1`,
      `xs7_${H(6)}-s6-c1`,
    ]);
  });

  it('prefers the chain with fewer pieces when two reach equally far', () => {
    const listing = blobs('xe9', `xr0_3_${H(1)}-s1-c1`, `xr4_6_${H(2)}-s2-c1`, `xr0_6_${H(3)}-s3-c1`);
    assert.deepEqual(ids(activeEpochIndexBlobs(listing).blobs), [`xr0_6_${H(3)}-s3-c1`]);
  });

  it('ignores deletion watermarks and non-index blobs', () => {
    const listing = blobs('xw1700000000', `xn0_${H(1)}-s1-c1`);
    assert.deepEqual(ids(activeEpochIndexBlobs(listing).blobs), [`xn0_${H(1)}-s1-c1`]);
  });
});

describe('active legacy index blobs (Kopia v0 index manager)', () => {
  const n = (i: number) => `n${H(i)}`;

  it('drops the inputs of compaction logs whose outputs all exist', () => {
    const listing = blobs(n(1), n(2), n(3), n(4));
    const logs = [
      { inputs: [n(1), n(2)], outputs: [n(3)] },
      { inputs: [n(4)], outputs: [n(9)] }, // output missing: the log is not valid yet
    ];
    assert.deepEqual(ids(activeLegacyIndexBlobs(listing, logs)), [n(3), n(4)]);
  });

  it('skips the poison blob that marks a repository upgraded past v1', () => {
    assert.deepEqual(ids(activeLegacyIndexBlobs(blobs(n(1), LEGACY_POISON_BLOB_ID), [])), [n(1)]);
  });

  it('parses compaction logs and rejects malformed ones', () => {
    const log = parseCompactionLog(
      new TextEncoder().encode(
        JSON.stringify({
          inputMetadata: [{ id: n(1), length: 10, timestamp: '2026-01-01T00:00:00Z' }],
          outputMetadata: [{ id: n(2), length: 20, timestamp: '2026-01-01T00:00:01Z' }],
        }),
      ),
    );
    assert.deepEqual(log, { inputs: [n(1)], outputs: [n(2)] });
    assert.deepEqual(parseCompactionLog(new TextEncoder().encode('{"inputMetadata":null}')), {
      inputs: [],
      outputs: [],
    });
    assert.throws(() => parseCompactionLog(new TextEncoder().encode('{"inputMetadata":[{}]}')), /without id/);
  });
});
