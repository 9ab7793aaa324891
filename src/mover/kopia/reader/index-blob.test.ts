import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type IndexEntry, IndexFormatError, parseIndexBlob } from './index-blob.ts';

// A test-only encoder laid out like Kopia's builders (index_v1.go formatEntry, index_v2.go): enough to produce the
// edge cases (optional v2 entry bytes, high length bits, deleted flags, empty indexes) a small real repository never
// writes. The real-bytes case is covered in format.test.ts with an index blob written by kopia itself.

interface Entry {
  key: number[];
  timestamp: number;
  deleted?: boolean;
  pack: string;
  offset: number;
  packed: number;
  original?: number;
  format?: number;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function v2(
  entries: Entry[],
  opts: { entrySize?: number; base?: number; formats?: [number, number, number][]; keySize?: number } = {},
) {
  const entrySize = opts.entrySize ?? 16;
  const keySize = opts.keySize ?? entries[0]?.key.length ?? 0xff;
  const base = opts.base ?? 1_700_000_000;
  const formats = opts.formats ?? [[0, 1, 0]];
  const packs = [...new Set(entries.map((e) => e.pack))];
  const packIndexes = new Map(packs.map((p, i) => [p, i]));
  const body: number[] = [];
  for (const e of entries) {
    body.push(...e.key);
    const original = e.original ?? e.packed - 28;
    const flags = (e.deleted ? 0x80000000 : 0) | e.offset;
    const packIndex = packIndexes.get(e.pack) ?? 0;
    const value = [
      ...u32(e.timestamp - base),
      ...u32(flags >>> 0),
      (original >>> 16) & 0xff,
      (original >>> 8) & 0xff,
      original & 0xff,
      (e.packed >>> 16) & 0xff,
      (e.packed >>> 8) & 0xff,
      e.packed & 0xff,
      (packIndex >>> 8) & 0xff,
      packIndex & 0xff,
      e.format ?? 0,
      (packIndex >>> 16) & 0xff,
      (Math.floor(original / 2 ** 24) << 4) | Math.floor(e.packed / 2 ** 24),
    ];
    body.push(...value.slice(0, entrySize));
  }
  const header = [2, keySize, (entrySize >> 8) & 0xff, entrySize & 0xff, ...u32(entries.length), ...u32(packs.length)];
  header.push(formats.length, ...u32(base));
  const extraStart = header.length + body.length + packs.length * 5 + formats.length * 6;
  const packTable: number[] = [];
  const names: number[] = [];
  for (const p of packs) {
    packTable.push(p.length, ...u32(extraStart + names.length));
    names.push(...Buffer.from(p, 'latin1'));
  }
  const formatTable = formats.flatMap(([comp, version, key]) => [...u32(comp), version, key]);
  const out = new Uint8Array(header.length + body.length + packTable.length + formatTable.length + names.length);
  let at = 0;
  for (const part of [header, body, packTable, formatTable, names]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function v1(entries: Entry[]) {
  const keySize = entries[0]?.key.length ?? 0xff;
  const stride = keySize + 20;
  const extraStart = 8 + entries.length * stride;
  const packs = [...new Set(entries.map((e) => e.pack))];
  const offsets = new Map<string, number>();
  const names: number[] = [];
  for (const p of packs) {
    offsets.set(p, extraStart + names.length);
    names.push(...Buffer.from(p, 'latin1'));
  }
  const body: number[] = [];
  for (const e of entries) {
    body.push(...e.key);
    const ts = e.timestamp;
    body.push(
      Math.floor(ts / 2 ** 40) & 0xff,
      Math.floor(ts / 2 ** 32) & 0xff,
      ...u32(ts),
      e.format ?? 1,
      e.pack.length,
    );
    body.push(
      ...u32(offsets.get(e.pack) ?? 0),
      ...u32(((e.deleted ? 0x80000000 : 0) | e.offset) >>> 0),
      ...u32(e.packed),
    );
  }
  return Uint8Array.from([1, keySize, 0, 20, ...u32(entries.length), ...body, ...names]);
}

const hash = (fill: number) => Array.from({ length: 16 }, (_, i) => (fill + i) & 0xff);
const M = 0x6d;
const K = 0x6b;

function expected(e: Entry, extra: Partial<IndexEntry>): IndexEntry {
  return {
    contentId: `${String.fromCharCode(e.key[0] as number)}${Buffer.from(e.key.slice(1)).toString('hex')}`,
    timestamp: e.timestamp,
    deleted: e.deleted ?? false,
    packBlobId: e.pack,
    packOffset: e.offset,
    packedLength: e.packed,
    originalLength: e.original ?? e.packed - 28,
    compressionHeaderId: 0,
    formatVersion: 1,
    encryptionKeyId: 0,
    ...extra,
  };
}

describe('kopia index v2', () => {
  const k1: Entry = { key: [K, ...hash(1)], timestamp: 1_700_000_100, pack: 'qaa-s1', offset: 32, packed: 100 };
  const m1: Entry = { key: [M, ...hash(2)], timestamp: 1_700_000_200, pack: 'qbb-s2', offset: 32, packed: 300 };
  const m2: Entry = {
    key: [M, ...hash(3)],
    timestamp: 1_700_000_300,
    pack: 'qaa-s1',
    offset: 132,
    packed: 50,
    deleted: true,
  };

  it('decodes only the entries with the wanted prefix, with absolute timestamps and shared pack names', () => {
    const data = v2([k1, m1, m2]);
    assert.deepEqual(parseIndexBlob(data, M), [expected(m1, {}), expected(m2, {})]);
    assert.deepEqual(parseIndexBlob(data, K), [expected(k1, {})]);
    assert.deepEqual(parseIndexBlob(data, 0x00), []);
  });

  it('reads the optional format byte and the per-format compression header', () => {
    const data = v2([{ ...m1, format: 1 }], {
      entrySize: 17,
      formats: [
        [0, 1, 0],
        [0x1101, 2, 0],
      ],
    });
    assert.deepEqual(parseIndexBlob(data, M), [expected(m1, { compressionHeaderId: 0x1101, formatVersion: 2 })]);
  });

  it('reads pack indexes above 65535 and lengths above 16 MiB from the optional bytes', () => {
    const packs = Array.from({ length: 65_537 }, (_, i) => `p${i.toString(16).padStart(6, '0')}`);
    const filler = packs.slice(0, 65_536).map((pack, i) => ({
      key: [0, ...hash(i)],
      timestamp: 1_700_000_001,
      pack,
      offset: 0,
      packed: 40,
    }));
    const big: Entry = {
      ...m1,
      pack: packs[65_536] as string,
      packed: 0x1_23_45_67,
      original: 0xa_bc_de_f0 & 0x0fffffff,
    };
    const data = v2([...filler, big], { entrySize: 19 });
    assert.deepEqual(parseIndexBlob(data, M), [expected(big, {})]);
  });

  it('keeps pack offset bit 30 and the deleted flag apart', () => {
    const e: Entry = { ...m1, offset: 0x4000_0001, deleted: true };
    assert.equal(parseIndexBlob(v2([e]), M)[0]?.packOffset, 0x4000_0001);
    assert.equal(parseIndexBlob(v2([e]), M)[0]?.deleted, true);
  });

  it('accepts an empty index (key size 0xFF, what compaction writes when it removed everything)', () => {
    assert.deepEqual(parseIndexBlob(v2([]), M), []);
  });

  const broken: [string, () => Uint8Array, RegExp][] = [
    ['truncated entries', () => v2([m1]).subarray(0, 30), /outside/],
    ['truncated header', () => Uint8Array.from([2, 17, 0, 16, 0, 0, 0, 1]), /outside|header/],
    ['entry size 15', () => v2([m1], { entrySize: 16 }).fill(15, 3, 4), /entry size/],
    ['key size 1', () => v2([m1], { keySize: 1 }), /key size/],
    ['format index out of range', () => v2([{ ...m1, format: 3 }], { entrySize: 17 }), /format #3/],
    ['unknown version', () => Uint8Array.from([3, 0, 0, 0, 0, 0, 0, 0, 0]), /unknown index version 3/],
  ];
  for (const [name, make, message] of broken) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => parseIndexBlob(make(), M),
        (e: unknown) => e instanceof IndexFormatError && message.test(e.message),
      );
    });
  }
});

describe('kopia index v1', () => {
  const m1: Entry = { key: [M, ...hash(5)], timestamp: 1_600_000_000, pack: 'qcc', offset: 0, packed: 128 };
  const m2: Entry = {
    key: [M, ...hash(6)],
    timestamp: 2 ** 40 + 7,
    pack: 'qdd',
    offset: 64,
    packed: 60,
    deleted: true,
  };
  const p1: Entry = { key: [0, ...hash(7)], timestamp: 1_600_000_000, pack: 'pee', offset: 0, packed: 99 };

  it('decodes 48-bit timestamps, deleted flags and pack names; no compression in v1', () => {
    assert.deepEqual(parseIndexBlob(v1([p1, m1, m2]), M), [
      expected(m1, { originalLength: -1 }),
      expected(m2, { originalLength: -1 }),
    ]);
  });

  it('accepts an empty v1 index and rejects a wrong entry size', () => {
    assert.deepEqual(parseIndexBlob(v1([]), M), []);
    const bad = v1([m1]);
    bad[3] = 21;
    assert.throws(() => parseIndexBlob(bad, M), /entry size 21/);
  });

  it('rejects a pack name pointing outside the blob', () => {
    const bad = v1([m1]);
    bad[8 + 17 + 11] = 0xff;
    assert.throws(() => parseIndexBlob(bad, M), IndexFormatError);
  });
});
