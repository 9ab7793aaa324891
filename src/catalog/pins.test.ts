import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../test/support/manual-clock.ts';
import { ScriptedSource } from '../../test/support/scripted-source.ts';
import { decide } from '../decision/decide.ts';
import type { Snapshot } from '../repository/types.ts';
import { Catalog, type CatalogIdentityOptions } from './catalog.ts';
import { PinBook, type PinStore, type RecordedPins, SHARED_PIN } from './pins.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const SNAP: Snapshot = { id: 's1', time: '2026-04-01T02:00:00.000Z', timeMs: Date.parse('2026-04-01T02:00:00Z') };

/** The cluster record as a plain object (the ConfigMap edge is tested against the API server). */
class MemoryStore implements PinStore {
  recorded: RecordedPins = { pins: {} };
  fail: Error | undefined;
  saves = 0;
  async load(): Promise<RecordedPins> {
    if (this.fail) throw this.fail;
    return structuredClone(this.recorded);
  }
  async save(pins: Record<string, string>): Promise<boolean> {
    if (this.fail) throw this.fail;
    this.saves++;
    this.recorded = { ...this.recorded, pins: { ...pins } };
    return true;
  }
}

function setup(kind: 'kopia' | 'restic', identity: CatalogIdentityOptions = {}) {
  const clock = new ManualClock(T0);
  const source = new ScriptedSource(kind);
  const store = new MemoryStore();
  const catalog = new Catalog({ source, clock, identity: { store, ...identity } });
  const ask = async (namespace: string, pvc: string) =>
    decide({ facts: await catalog.lookup({ namespace, pvc }), nowMs: clock.now(), staleAfterMs: catalog.staleAfterMs });
  return { source, store, catalog, ask };
}

describe('PinBook', () => {
  const S = SHARED_PIN;
  it('pins on first sight, keeps the pin against another ID, and re-pins only the confirmed ID', () => {
    const book = new PinBook();
    book.load({ pins: {} });
    book.observe(S, A, '/repo');
    assert.deepEqual(book.takeUnsaved(), { [S]: A });
    book.observe(S, B, '/staging'); // another location with another repository: a change all the same
    assert.equal(book.takeUnsaved(), undefined);
    assert.deepEqual(book.expected(S), { id: A, from: 'recorded' });
    assert.deepEqual(book.conflicts(), [{ repository: '/staging', pinned: A, observed: B }]);
    book.load({ pins: { [S]: A }, confirmed: 'c'.repeat(64) }); // a confirmation of another ID changes nothing
    assert.deepEqual(book.expected(S), { id: A, from: 'recorded' });
    book.load({ pins: { [S]: A }, confirmed: B });
    assert.deepEqual(book.expected(S), { id: B, from: 'recorded' });
    assert.deepEqual(book.takeUnsaved(), { [S]: B });
  });

  it('lets the configured ID win for the shared repository and never pins another one', () => {
    const book = new PinBook(A);
    book.load({ pins: {} });
    book.observe(S, B, '/repo');
    assert.equal(book.takeUnsaved(), undefined);
    assert.deepEqual(book.expected(S), { id: A, from: 'config' });
    book.observe(S, A, '/repo');
    assert.deepEqual(book.takeUnsaved(), { [S]: A });
  });

  it('keeps per-PVC pins apart and never applies the configured ID to them', () => {
    const book = new PinBook(A);
    book.load({ pins: {} });
    book.observe('ns/app', B, '/b/ns/app');
    assert.deepEqual(book.expected('ns/app'), { id: B, from: 'recorded' });
    assert.equal(book.expected('ns/other'), undefined);
  });
});

describe('Catalog with repository pins', () => {
  it('records the repository read first, survives a restart, and refuses another repository until confirmed', async () => {
    const first = setup('kopia');
    first.source.scripts.set('/repo', { pvcs: { 'ns/app': [SNAP] }, id: A });
    await first.catalog.refresh();
    assert.deepEqual(first.store.recorded.pins, { [SHARED_PIN]: A });
    assert.equal((await first.ask('ns', 'app')).decision, 'restore');

    // A restarted process with another repository at the same location.
    const second = setup('kopia');
    second.store.recorded = first.store.recorded;
    second.source.scripts.set('/repo', { pvcs: { 'ns/app': [SNAP] }, id: B });
    await second.catalog.refresh();
    const d = await second.ask('ns', 'app');
    assert.equal(d.cause, 'repository-changed');
    assert.match(d.message, new RegExp(`has ID ${B}, but lifeboat recorded ${A}`));
    assert.deepEqual(second.catalog.identityStatus().conflicts, [{ repository: '/repo', pinned: A, observed: B }]);

    second.store.recorded = { ...second.store.recorded, confirmed: B };
    await second.catalog.refresh();
    assert.equal((await second.ask('ns', 'app')).decision, 'restore');
    assert.deepEqual(second.store.recorded.pins, { [SHARED_PIN]: B });
  });

  it('answers unknown until the recorded pins could be read once', async () => {
    const { source, store, catalog, ask } = setup('kopia');
    source.scripts.set('/repo', { pvcs: { 'ns/app': [SNAP] }, id: A });
    store.fail = new Error('configmaps "lifeboat-repository-identity" is forbidden');
    await catalog.refresh();
    const d = await ask('ns', 'app');
    assert.equal(d.decision, 'unknown');
    assert.match(d.message, /forbidden/);
    store.fail = undefined;
    await catalog.refresh();
    assert.equal((await ask('ns', 'app')).decision, 'restore');
  });

  it('treats a missing shared repository as repository-missing, fresh only on a first installation before any pin', async () => {
    const plain = setup('kopia');
    await plain.catalog.refresh();
    assert.equal((await plain.ask('ns', 'app')).cause, 'repository-missing');

    const first = setup('kopia', { firstInstall: true });
    await first.catalog.refresh();
    assert.equal((await first.ask('ns', 'app')).cause, 'repository-not-found');
    assert.equal(first.catalog.identityStatus().firstInstall, 'in-effect');
    first.source.scripts.set('/repo', { pvcs: {}, id: A });
    await first.catalog.refresh();
    assert.equal(first.catalog.identityStatus().firstInstall, 'ignored');
    first.source.scripts.delete('/repo'); // the mount is gone again: the flag no longer hides it
    await first.catalog.refresh();
    assert.equal((await first.ask('ns', 'app')).cause, 'repository-missing');
  });

  it('per-PVC repositories: absent is fresh, but a root emptied of recorded repositories is repository-missing', async () => {
    const { source, catalog, ask } = setup('restic');
    source.discoverScript = ['/backups/ns/app'];
    source.scripts.set('/backups/ns/app', { pvcs: { 'ns/app': [SNAP] }, id: A });
    await catalog.refresh();
    assert.equal((await ask('ns', 'new')).cause, 'repository-not-found');
    source.discoverScript = [];
    source.scripts.clear();
    await catalog.refresh();
    const gone = await ask('ns', 'new');
    assert.equal(gone.cause, 'repository-missing');
    assert.match(gone.message, /holds no repository at all, although 1 were recorded/);
    assert.equal((await ask('ns', 'app')).cause, 'repository-missing');
  });

  it('a cluster that moved from kopia to restic: the kopia pin says nothing about restic repositories', async () => {
    const { source, store, catalog, ask } = setup('restic');
    store.recorded = { pins: { [SHARED_PIN]: A } };
    source.discoverScript = [];
    await catalog.refresh();
    assert.equal((await ask('ns', 'new')).cause, 'repository-not-found', 'a new PVC of an empty restic root is fresh');
  });

  it('a cluster that moved from restic to kopia: restic pins do not cancel a declared first installation', async () => {
    const { source, store, catalog, ask } = setup('kopia', { firstInstall: true });
    store.recorded = { pins: { 'ns/app': A } };
    source.scripts.set('/repo', { pvcs: {}, exists: false });
    await catalog.refresh();
    assert.equal((await ask('ns', 'app')).decision, 'fresh');
  });

  it('turns snapshots under a drifted identity into identity-mismatch', async () => {
    const { source, catalog, ask } = setup('kopia');
    source.scripts.set('/repo', { pvcs: {}, unmatchedSnapshots: { 'app@ns:/data': [SNAP] }, id: A });
    await catalog.refresh();
    const d = await ask('ns', 'app');
    assert.equal(d.cause, 'identity-mismatch');
    assert.match(d.message, /source app@ns:\/data \(1 snapshot\(s\), newest 2026-04-01T02:00:00.000Z\)/);
    assert.equal((await ask('ns', 'other')).cause, 'no-snapshots');
  });
});
