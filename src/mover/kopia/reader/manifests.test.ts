import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { decompressContent } from './compression.ts';
import { type ManifestEntry, ManifestFormatError, mergeManifestEntries, parseManifestContent } from './manifests.ts';
import { snapshotsBySource, sourceString } from './snapshots.ts';

const content = (entries: unknown[]) => gzipSync(JSON.stringify({ entries }));

function snapshotEntry(id: string, modified: string, source: string, start: string, extra: object = {}) {
  const [userName, rest] = source.split('@') as [string, string];
  const [host, path] = rest.split(':') as [string, string];
  return {
    id,
    labels: { type: 'snapshot', username: userName, hostname: host, path },
    modified,
    data: {
      id: '',
      source: { host, userName, path },
      startTime: start,
      endTime: start,
      stats: { totalSize: 42, fileCount: 7 },
      rootEntry: { summ: { size: 41, files: 6 } },
      ...extra,
    },
  };
}

describe('manifest contents', () => {
  it('parses gzip JSON, and the same wrapped in zstd with Kopia compression header 0x1101', () => {
    const raw = content([snapshotEntry('a1', '2026-01-01T00:00:00.000000001Z', 'u@h:/data', '2026-01-01T00:00:00Z')]);
    const framed = Buffer.concat([Buffer.from([0, 0, 0x11, 0x01]), zstdCompressSync(raw)]);
    for (const plain of [raw, decompressContent(framed, 0x1101)]) {
      const [e] = parseManifestContent(plain);
      assert.equal(e?.id, 'a1');
      assert.equal(e?.modifiedNs, 1767225600000000001n);
      assert.equal(e?.labels.type, 'snapshot');
    }
  });

  it('rejects content that is not gzip, not JSON, or has entries without id or modified time', () => {
    assert.throws(() => parseManifestContent(Buffer.from('{"entries":[]}')), /not gzip/);
    assert.throws(() => parseManifestContent(gzipSync('{')), /not JSON/);
    assert.throws(() => parseManifestContent(content([{ modified: '2026-01-01T00:00:00Z' }])), /no id/);
    assert.throws(() => parseManifestContent(content([{ id: 'x', modified: 'yesterday' }])), ManifestFormatError);
    assert.deepEqual(parseManifestContent(gzipSync('{"entries":null}')), []);
  });

  it('lets the latest modification win per ID, to the nanosecond, and drops tombstones afterwards', () => {
    const parse = (entries: unknown[]) => parseManifestContent(content(entries));
    const a = parse([
      snapshotEntry('keep', '2026-01-01T00:00:00.000000001Z', 'u@h:/data', '2026-01-01T00:00:00Z'),
      snapshotEntry('gone', '2026-01-01T00:00:00Z', 'u@h:/data', '2026-01-01T01:00:00Z'),
      snapshotEntry('back', '2026-01-01T00:00:00Z', 'u@h:/data', '2026-01-01T02:00:00Z'),
    ]);
    const b = parse([
      { id: 'keep', modified: '2026-01-01T00:00:00.000000000Z', deleted: true }, // older by 1 ns: ignored
      { id: 'gone', modified: '2026-01-01T00:00:01Z', deleted: true },
      { id: 'back', modified: '2026-01-01T00:00:01Z', deleted: true },
    ]);
    const c = parse([snapshotEntry('back', '2026-01-01T00:00:02+00:00', 'u@h:/data', '2026-01-01T02:00:00Z')]);
    for (const order of [
      [a, b, c],
      [c, b, a],
      [b, c, a],
    ]) {
      assert.deepEqual([...mergeManifestEntries(order).keys()].sort(), ['back', 'keep']);
    }
  });
});

describe('snapshot manifests', () => {
  const entries = (list: unknown[]): ManifestEntry[] => parseManifestContent(content(list));

  it('groups by source in string order and sorts by start time (ties: end time, then ID)', () => {
    const list = entries(
      [
        snapshotEntry('s3', 'Z', 'b@h:/data', '2026-01-01T00:00:00Z'),
        snapshotEntry('s2', 'Z', 'a@h:/data', '2026-01-02T00:00:00.000000002Z'),
        snapshotEntry('s1', 'Z', 'a@h:/data', '2026-01-02T00:00:00.000000001Z'),
        snapshotEntry('s0', 'Z', 'a@h:/data', '2026-01-01T23:00:00-02:00'),
      ].map((e) => ({ ...e, modified: '2026-01-01T00:00:00Z' })),
    );
    const result = snapshotsBySource(list);
    assert.deepEqual([...result.keys()], ['a@h:/data', 'b@h:/data']);
    assert.deepEqual(
      result.get('a@h:/data')?.map((s) => [s.id, s.time]),
      [
        ['s1', '2026-01-02T00:00:00.000Z'],
        ['s2', '2026-01-02T00:00:00.000Z'],
        ['s0', '2026-01-02T01:00:00.000Z'],
      ],
    );
    assert.equal(result.get('b@h:/data')?.[0]?.timeMs, Date.UTC(2026, 0, 1));
  });

  it('reports size and file count from stats (rootEntry.summ without stats), flags incomplete snapshots and ignores other manifest types', () => {
    const list = entries([
      snapshotEntry('ok', '2026-01-01T00:00:00Z', 'u@h:/data', '2026-01-01T00:00:00Z'),
      snapshotEntry('cp', '2026-01-01T00:00:00Z', 'u@h:/data', '2026-01-01T01:00:00Z', { incomplete: 'checkpoint' }),
      snapshotEntry('nostats', '2026-01-01T00:00:00Z', 'u@h:/data', '2026-01-01T02:00:00Z', { stats: undefined }),
      { ...snapshotEntry('pol', '2026-01-01T00:00:00Z', 'u@h:/data', 'x'), labels: { type: 'policy' } },
    ]);
    const snaps = snapshotsBySource(list).get('u@h:/data');
    const common = { source: 'u@h:/data' };
    assert.deepEqual(snaps, [
      {
        ...common,
        id: 'ok',
        time: '2026-01-01T00:00:00.000Z',
        timeMs: Date.UTC(2026, 0, 1),
        startTime: '2026-01-01T00:00:00Z',
        endTime: '2026-01-01T00:00:00Z',
        sizeBytes: 42,
        fileCount: 7,
      },
      {
        ...common,
        id: 'cp',
        time: '2026-01-01T01:00:00.000Z',
        timeMs: Date.UTC(2026, 0, 1, 1),
        startTime: '2026-01-01T01:00:00Z',
        endTime: '2026-01-01T01:00:00Z',
        sizeBytes: 42,
        fileCount: 7,
        incomplete: true,
        incompleteReason: 'checkpoint',
      },
      {
        ...common,
        id: 'nostats',
        time: '2026-01-01T02:00:00.000Z',
        timeMs: Date.UTC(2026, 0, 1, 2),
        startTime: '2026-01-01T02:00:00Z',
        endTime: '2026-01-01T02:00:00Z',
        sizeBytes: 41,
        fileCount: 6,
      },
    ]);
  });

  it('rejects a snapshot manifest without a readable start time', () => {
    const list = entries([snapshotEntry('bad', '2026-01-01T00:00:00Z', 'u@h:/data', 'soon')]);
    assert.throws(() => snapshotsBySource(list), /bad has no readable startTime/);
  });

  it('renders sources like Kopia', () => {
    assert.equal(sourceString({ userName: 'u', host: 'h', path: '/data' }), 'u@h:/data');
    assert.equal(sourceString({ userName: 'u', host: 'h', path: '' }), 'u@h');
    assert.equal(sourceString({ userName: '', host: '', path: '' }), '(global)');
  });
});
