import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForeignNames, type ForeignView, nameOnly, UNSETTLED_WINDOW_MS } from './foreign-names.ts';

/** A foreign watch's store: the keys it holds, and whether it is current. */
function view(keys: string[], current = true): ForeignView {
  const held = new Set(keys);
  return { isCurrent: () => current, get: (key) => (held.has(key) ? {} : undefined) };
}

describe('ForeignNames', () => {
  const T0 = 1_000_000;
  const cases: {
    name: string;
    views: Record<string, ForeignView>;
    /** What happened to names before the question: left lifeboat's cache, written by lifeboat, shown by its watch. */
    history?: { what: 'departed' | 'written' | 'arrived'; kind: string; namespace: string; name: string; at: number }[];
    now?: number;
    ask: [string, string, string];
    free: boolean;
  }[] = [
    {
      name: 'in no cache, watch current: free',
      views: { Secret: view([]) },
      ask: ['Secret', 'shop', 'db-volsync-secret'],
      free: true,
    },
    {
      name: 'held by another tool',
      views: { Secret: view(['shop/db-volsync-secret']) },
      ask: ['Secret', 'shop', 'db-volsync-secret'],
      free: false,
    },
    {
      name: 'another name in the namespace does not matter',
      views: { Secret: view(['shop/other']) },
      ask: ['Secret', 'shop', 'db-volsync-secret'],
      free: true,
    },
    {
      name: 'the same name in another namespace does not matter',
      views: { Secret: view(['cafe/db-volsync-secret']) },
      ask: ['Secret', 'shop', 'db-volsync-secret'],
      free: true,
    },
    {
      name: 'the watch is not current (not synced, or failing): read first',
      views: { Secret: view([], false) },
      ask: ['Secret', 'shop', 'db-volsync-secret'],
      free: false,
    },
    {
      name: 'a kind without a foreign watch: read first',
      views: { Secret: view([]) },
      ask: ['ReplicationSource', 'shop', 'db-backup'],
      free: false,
    },
    {
      name: 'the name left lifeboat’s cache a moment ago (its label may have been removed): read first',
      views: { ReplicationSource: view([]) },
      history: [{ what: 'departed', kind: 'ReplicationSource', namespace: 'shop', name: 'db-backup', at: T0 }],
      now: T0 + 500,
      ask: ['ReplicationSource', 'shop', 'db-backup'],
      free: false,
    },
    {
      name: 'departed just under the window: still read first',
      views: { ReplicationSource: view([]) },
      history: [{ what: 'departed', kind: 'ReplicationSource', namespace: 'shop', name: 'db-backup', at: T0 }],
      now: T0 + UNSETTLED_WINDOW_MS - 1,
      ask: ['ReplicationSource', 'shop', 'db-backup'],
      free: false,
    },
    {
      name: 'departed a window ago: both watches have long delivered, free',
      views: { ReplicationSource: view([]) },
      history: [{ what: 'departed', kind: 'ReplicationSource', namespace: 'shop', name: 'db-backup', at: T0 }],
      now: T0 + UNSETTLED_WINDOW_MS,
      ask: ['ReplicationSource', 'shop', 'db-backup'],
      free: true,
    },
    {
      name: 'another kind of the same name departed: free',
      views: { ReplicationSource: view([]) },
      history: [{ what: 'departed', kind: 'ReplicationDestination', namespace: 'shop', name: 'db-backup', at: T0 }],
      now: T0 + 1,
      ask: ['ReplicationSource', 'shop', 'db-backup'],
      free: true,
    },
    {
      name: 'lifeboat created it a moment ago and its own watch has not shown it: read first (and find it)',
      views: { Secret: view([]) },
      history: [{ what: 'written', kind: 'Secret', namespace: 'shop', name: 'db-volsync-secret', at: T0 }],
      now: T0 + 20,
      ask: ['Secret', 'shop', 'db-volsync-secret'],
      free: false,
    },
    {
      name: 'written, then shown by lifeboat’s own watch: its cache answers from then on, and if it leaves again…',
      views: { Secret: view([]) },
      history: [
        { what: 'written', kind: 'Secret', namespace: 'shop', name: 'db-volsync-secret', at: T0 },
        { what: 'arrived', kind: 'Secret', namespace: 'shop', name: 'db-volsync-secret', at: T0 + 5 },
      ],
      now: T0 + 10,
      ask: ['Secret', 'shop', 'db-volsync-secret'],
      free: true,
    },
    {
      name: '…it is unsettled again',
      views: { Secret: view([]) },
      history: [
        { what: 'written', kind: 'Secret', namespace: 'shop', name: 'db-volsync-secret', at: T0 },
        { what: 'arrived', kind: 'Secret', namespace: 'shop', name: 'db-volsync-secret', at: T0 + 5 },
        { what: 'departed', kind: 'Secret', namespace: 'shop', name: 'db-volsync-secret', at: T0 + 8 },
      ],
      now: T0 + 10,
      ask: ['Secret', 'shop', 'db-volsync-secret'],
      free: false,
    },
    {
      name: 'cluster-scoped names are keyed without a namespace',
      views: { Namespace: view(['shop']) },
      ask: ['Namespace', '', 'shop'],
      free: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      let now = T0;
      const names = new ForeignNames(new Map(Object.entries(c.views)), { now: () => now });
      for (const h of c.history ?? []) {
        now = h.at;
        names[h.what](h.kind, h.namespace, h.name);
      }
      now = c.now ?? T0;
      assert.equal(names.free(...c.ask), c.free);
    });
  }

  it('forgets unsettled names older than the window, and a name marked again starts its window over', () => {
    const W = UNSETTLED_WINDOW_MS;
    let now = T0;
    const names = new ForeignNames(new Map([['Secret', view([])]]), { now: () => now });
    names.departed('Secret', 'a', 'one');
    now += 0.6 * W;
    names.written('Secret', 'a', 'two');
    now += 0.5 * W; // one marked 1.1 W ago, two 0.5 W ago
    assert.equal(names.free('Secret', 'a', 'one'), true);
    assert.equal(names.free('Secret', 'a', 'two'), false);
    names.departed('Secret', 'a', 'one'); // again: its window starts over
    now += 0.6 * W; // one 0.6 W ago, two 1.1 W ago
    assert.equal(names.free('Secret', 'a', 'one'), false);
    assert.equal(names.free('Secret', 'a', 'two'), true);
  });
});

describe('nameOnly', () => {
  it('keeps what tells that a name is taken, nothing of the contents', () => {
    const kept = nameOnly({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'theirs',
        namespace: 'shop',
        resourceVersion: '42',
        uid: 'u',
        labels: { app: 'x' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"c2VjcmV0"}}' },
      },
    });
    assert.deepEqual(kept, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'theirs', namespace: 'shop', resourceVersion: '42' },
    });
    assert.deepEqual(nameOnly({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }).metadata, {
      name: 'shop',
    });
  });
});
