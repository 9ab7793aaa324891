import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../test/support/manual-clock.ts';
import { ScriptedSource } from '../../test/support/scripted-source.ts';
import { decide } from '../decision/decide.ts';
import { CredentialsError, pvcKey } from '../repository/source.ts';
import { RepositoryError, type Snapshot } from '../repository/types.ts';
import { Catalog, type CatalogOptions, type RefreshReport } from './catalog.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');

function snap(id: string, time: string, incomplete = false): Snapshot {
  return { id, time, timeMs: Date.parse(time), ...(incomplete ? { incomplete: true } : {}) };
}

function setup(kind: 'kopia' | 'restic', options: Partial<CatalogOptions> = {}) {
  const clock = new ManualClock(T0);
  const source = new ScriptedSource(kind);
  const catalog = new Catalog({ source, clock, ...options });
  const ask = async (namespace: string, pvc: string) =>
    decide({ facts: await catalog.lookup({ namespace, pvc }), nowMs: clock.now(), staleAfterMs: catalog.staleAfterMs });
  return { clock, source, catalog, ask };
}

const A1 = snap('a1', '2026-04-01T02:00:00Z');
const A2 = snap('a2', '2026-04-02T02:00:00Z');
const B1 = snap('b1', '2026-04-03T02:00:00Z');

/** Lets pending promise callbacks run (the catalog's async steps between clock moves). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('Catalog.reread (restore evidence)', () => {
  it('answers from a read that started late enough: its own view, a read in flight, or a new read', async () => {
    const { clock, source, catalog } = setup('kopia');
    source.scripts.set('/repo', { pvcs: { 'ns/app': [A1, A2] } });
    await catalog.refresh();
    const refreshedAt = clock.now();
    assert.equal(source.reads.length, 1);
    // The refresh started late enough: no I/O.
    const known = await catalog.reread({ namespace: 'ns', pvc: 'app' }, refreshedAt);
    assert.deepEqual(
      known.view?.snapshots.map((s) => s.id),
      ['a2', 'a1'],
    );
    assert.equal(source.reads.length, 1);

    // A2 is forgotten; two callers who need a read after now share one.
    clock.advance(5_000);
    source.scripts.set('/repo', { pvcs: { 'ns/app': [A1] } });
    let open: () => void = () => {};
    source.gate = new Promise<void>((r) => {
      open = r;
    });
    const since = clock.now();
    const first = catalog.reread({ namespace: 'ns', pvc: 'app' }, since);
    const second = catalog.reread({ namespace: 'ns', pvc: 'app' }, since);
    await settle();
    open();
    source.gate = undefined;
    const [a, b] = await Promise.all([first, second]);
    assert.equal(source.reads.length, 2, 'one new read for both');
    assert.deepEqual(
      a.view?.snapshots.map((s) => s.id),
      ['a1'],
    );
    assert.equal(a.view?.observedAtMs, since);
    assert.deepEqual(
      b.view?.snapshots.map((s) => s.id),
      ['a1'],
    );

    // A caller who needs a read after that one started gets its own.
    clock.advance(1_000);
    await catalog.reread({ namespace: 'ns', pvc: 'app' }, clock.now());
    assert.equal(source.reads.length, 3);
  });

  it('reports a failed read as lastFailure', async () => {
    const { clock, source, catalog } = setup('kopia');
    source.scripts.set('/repo', new RepositoryError('wrong-password', '/repo', 'no key'));
    const facts = await catalog.reread({ namespace: 'ns', pvc: 'app' }, clock.now());
    assert.equal(facts.lastFailure?.code, 'wrong-password');
  });
});

describe('Catalog (shared Kopia-style repository)', () => {
  it('answers catalog-not-loaded before the first refresh, and does no I/O on lookups', async () => {
    const { source, ask } = setup('kopia');
    const d = await ask('ns', 'app');
    assert.equal(d.cause, 'catalog-not-loaded');
    assert.equal(source.reads.length, 0);
  });

  it('keeps snapshots per PVC newest first and decides restore or fresh', async () => {
    const { source, catalog, ask } = setup('kopia');
    source.scripts.set('/repo', {
      pvcs: { 'ns/app': [A1, A2], 'ns/other': [B1] },
      unmatched: ['someone@laptop:/home'],
    });
    const report = await catalog.refresh();
    assert.equal(report.result, 'success');
    const facts = catalog.facts({ namespace: 'ns', pvc: 'app' });
    assert.deepEqual(
      facts.view?.snapshots.map((s) => s.id),
      ['a2', 'a1'],
    );
    assert.equal(facts.source, 'app-backup@ns:/data');
    assert.equal((await ask('ns', 'app')).decision, 'restore');
    assert.equal((await ask('ns', 'new')).decision, 'fresh');
    assert.deepEqual(catalog.pvcs(), [
      { namespace: 'ns', pvc: 'app' },
      { namespace: 'ns', pvc: 'other' },
    ]);
    assert.deepEqual(catalog.unmatchedSources(), ['someone@laptop:/home']);
    assert.equal(source.reads.length, 1, 'lookups answer from memory');
  });

  it('shares one refresh between concurrent callers', async () => {
    const { source, catalog } = setup('kopia');
    let open!: () => void;
    source.gate = new Promise((r) => {
      open = r;
    });
    const dedups: string[] = [];
    catalog.addListener({ deduplicated: (what) => dedups.push(what) });
    const runs = [catalog.refresh(), catalog.refresh(), catalog.refresh()];
    open();
    const reports = await Promise.all(runs);
    assert.equal(source.discoverCalls, 1);
    assert.equal(source.reads.length, 1);
    assert.ok(reports.every((r) => r === reports[0]));
    assert.deepEqual(dedups, ['refresh', 'refresh']);
    await catalog.refresh();
    assert.equal(source.discoverCalls, 2, 'a refresh after the previous ended runs again');
  });

  it('keeps the previous view on a failed refresh until it is stale, then answers unknown with the cause', async () => {
    const { clock, source, catalog, ask } = setup('kopia', { staleAfterMs: 300_000 });
    source.scripts.set('/repo', { pvcs: { 'ns/app': [A1] } });
    await catalog.refresh();
    clock.advance(60_000);
    source.scripts.set('/repo', new RepositoryError('unreachable', '/repo', 'connect ECONNREFUSED'));
    const report = await catalog.refresh();
    assert.equal(report.result, 'failure');
    const during = await ask('ns', 'app');
    assert.equal(during.decision, 'restore', 'a recent good view still answers');
    assert.equal(catalog.health()[0]?.healthy, false);
    assert.equal(catalog.health()[0]?.consecutiveFailures, 1);
    clock.advance(240_001);
    const after = await ask('ns', 'app');
    assert.equal(after.decision, 'unknown');
    assert.equal(after.cause, 'repository-unreachable');
    assert.match(after.message, /ECONNREFUSED/);
    const fresh = await ask('ns', 'brand-new');
    assert.equal(fresh.decision, 'unknown', 'a stale catalog never says fresh either');
  });

  it('turns answers unknown (catalog-stale) when refreshes stop happening', async () => {
    const { clock, source, catalog, ask } = setup('kopia');
    source.scripts.set('/repo', { pvcs: { 'ns/app': [A1] } });
    await catalog.refresh();
    clock.advance(5 * 60_000);
    assert.equal((await ask('ns', 'app')).decision, 'restore');
    clock.advance(1);
    const d = await ask('ns', 'app');
    assert.equal(d.cause, 'catalog-stale');
    assert.equal(catalog.status().ageMs, 5 * 60_000 + 1);
  });

  it('recovers on the next successful refresh and resets the failure count', async () => {
    const { source, catalog, ask } = setup('kopia');
    source.scripts.set('/repo', new RepositoryError('wrong-password', '/repo', 'the password does not open it'));
    await catalog.refresh();
    assert.equal((await ask('ns', 'app')).cause, 'wrong-password');
    source.scripts.set('/repo', { pvcs: { 'ns/app': [A1] } });
    await catalog.refresh();
    assert.equal((await ask('ns', 'app')).decision, 'restore');
    const health = catalog.health()[0];
    assert.equal(health?.healthy, true);
    assert.equal(health?.consecutiveFailures, 0);
    assert.equal(health?.lastError?.code, 'wrong-password', 'the last error stays visible for status output');
  });

  it('remembers that the repository held snapshots when it later reads empty', async () => {
    const { source, catalog, ask } = setup('kopia');
    source.scripts.set('/repo', { pvcs: { 'ns/app': [A1] } });
    await catalog.refresh();
    source.scripts.set('/repo', { pvcs: {} });
    await catalog.refresh();
    const d = await ask('ns', 'app');
    assert.equal(d.cause, 'repository-empty-unexpectedly');
  });

  it('maps credential and unexpected errors to their own causes', async () => {
    const { source, catalog, ask } = setup('kopia');
    source.scripts.set('/repo', new CredentialsError('KOPIA_PASSWORD is empty'));
    await catalog.refresh();
    assert.equal((await ask('ns', 'app')).cause, 'credentials-missing');
    source.scripts.set('/repo', new TypeError('x is undefined'));
    await catalog.refresh();
    const d = await ask('ns', 'app');
    assert.equal(d.cause, 'internal-error');
    assert.match(d.message, /x is undefined/);
  });

  it('bounds a refresh by its timeout even when the reader ignores cancellation', async () => {
    const { clock, source, catalog, ask } = setup('kopia', { refreshTimeoutMs: 10_000 });
    source.scripts.set('/repo', 'hang');
    const run = catalog.refresh();
    await settle();
    clock.advance(10_000);
    const report = await run;
    assert.equal(report.result, 'failure');
    const d = await ask('ns', 'app');
    assert.equal(d.cause, 'timeout');
    assert.match(d.message, /did not finish within 10000 ms/);
  });

  it('refreshes periodically on the clock, one interval after the previous refresh ended', async () => {
    const { clock, source, catalog } = setup('kopia', { refreshIntervalMs: 60_000 });
    const reports: RefreshReport[] = [];
    catalog.addListener({ refreshed: (r) => reports.push(r) });
    assert.equal(catalog.status().loaded, false);
    catalog.start();
    await settle();
    assert.equal(reports.length, 1);
    assert.equal(catalog.status().loaded, true);
    clock.advance(59_999);
    await settle();
    assert.equal(reports.length, 1);
    clock.advance(1);
    await settle();
    assert.equal(reports.length, 2);
    await catalog.stop();
    clock.advance(600_000);
    await settle();
    assert.equal(reports.length, 2, 'no refresh after stop');
    assert.equal(source.discoverCalls, 2);
  });

  it('refuses names that cannot be PVCs before rendering them into a location', async () => {
    const { catalog } = setup('restic');
    await assert.rejects(catalog.lookup({ namespace: 'ns', pvc: '../../etc' }), /is not a valid PVC name/);
    assert.throws(() => catalog.facts({ namespace: 'NS', pvc: 'app' }), /is not a valid namespace name/);
  });

  it('reports the oldest view age and loaded state in its status', async () => {
    const { clock, source, catalog } = setup('kopia');
    assert.equal(catalog.status().ageMs, undefined);
    source.scripts.set('/repo', { pvcs: {} });
    await catalog.refresh();
    clock.advance(12_000);
    const status = catalog.status();
    assert.equal(status.loaded, true);
    assert.equal(status.ageMs, 12_000);
    assert.equal(status.lastRefresh?.result, 'success');
  });
});

describe('Catalog (one restic-style repository per PVC)', () => {
  it('reads discovered repositories with bounded concurrency and keeps health per repository', async () => {
    const { source, catalog, ask } = setup('restic', { concurrency: 3 });
    const keys = Array.from({ length: 10 }, (_, i) => `/backups/ns/pvc${i}`);
    source.discoverScript = keys;
    for (const key of keys) source.scripts.set(key, { pvcs: { [key.slice('/backups/'.length)]: [A1] } });
    source.scripts.set('/backups/ns/pvc3', new RepositoryError('corrupt', '/backups/ns/pvc3', 'MAC mismatch'));
    let open!: () => void;
    source.gate = new Promise((r) => {
      open = r;
    });
    const run = catalog.refresh();
    await settle();
    open();
    const report = await run;
    assert.equal(source.maxActive, 3);
    assert.equal(report.result, 'partial');
    assert.equal(report.failed, 1);
    assert.equal((await ask('ns', 'pvc3')).cause, 'corrupt', 'only the broken repository is unknown');
    assert.equal((await ask('ns', 'pvc4')).decision, 'restore');
    assert.equal(catalog.health().filter((h) => !h.healthy).length, 1);
    assert.equal(catalog.pvcs().length, 10, 'a broken repository still lists its PVC');
  });

  it('looks up an unknown PVC on demand once, shares concurrent lookups, and caches until the next refresh', async () => {
    const { source, catalog, ask } = setup('restic');
    await catalog.refresh();
    const dedups: string[] = [];
    catalog.addListener({ deduplicated: (what) => dedups.push(what) });
    const answers = await Promise.all([ask('ns', 'never'), ask('ns', 'never'), ask('ns', 'never')]);
    assert.ok(answers.every((d) => d.decision === 'fresh' && d.cause === 'repository-not-found'));
    assert.deepEqual(source.reads, ['/backups/ns/never']);
    assert.deepEqual(dedups, ['lookup', 'lookup']);
    await ask('ns', 'never');
    assert.equal(source.reads.length, 1, 'the answer is cached');
    await catalog.refresh();
    assert.equal(source.reads.length, 1, 'a refresh does not re-read absent repositories');
    await ask('ns', 'never');
    assert.equal(source.reads.length, 2, 'after the refresh the PVC is looked up again');
  });

  it('keeps the answer of an on-demand lookup that a refresh overtook (the first CREATE after a new app)', async () => {
    const { source, catalog, ask } = setup('restic');
    await catalog.refresh();
    // The lookup's read of the new PVC's repository is slow; a whole refresh (nothing discovered) runs meanwhile.
    let open: () => void = () => {};
    source.gate = new Promise<void>((r) => {
      open = r;
    });
    const pending = ask('ns', 'new-app');
    await settle();
    const refreshed = catalog.refresh();
    await settle();
    open();
    source.gate = undefined;
    await refreshed;
    const d = await pending;
    assert.equal(d.cause, 'repository-not-found', `answered from its own read, not ${d.cause}`);
    assert.equal(d.decision, 'fresh');
    // A refresh overtaking a finished lookup keeps it for one more refresh, then it is read again.
    await catalog.refresh();
    await ask('ns', 'new-app');
    assert.equal(source.reads.filter((r) => r === '/backups/ns/new-app').length, 2);
  });

  it('bounds an on-demand lookup by its timeout and does not cache the failure as an answer', async () => {
    const { clock, source, ask } = setup('restic', { lookupTimeoutMs: 3_000 });
    source.scripts.set('/backups/ns/slow', 'hang');
    const pending = ask('ns', 'slow');
    await settle();
    clock.advance(3_000);
    const d = await pending;
    assert.equal(d.decision, 'unknown');
    assert.equal(d.cause, 'timeout');
    source.scripts.set('/backups/ns/slow', { pvcs: { 'ns/slow': [A1] } });
    assert.equal((await ask('ns', 'slow')).decision, 'restore', 'the next lookup tries again');
  });

  it('keeps re-reading a repository that held snapshots even when discovery no longer lists it', async () => {
    const { source, catalog, ask } = setup('restic');
    source.discoverScript = ['/backups/ns/app'];
    source.scripts.set('/backups/ns/app', { pvcs: { 'ns/app': [A1] } });
    await catalog.refresh();
    source.discoverScript = [];
    source.scripts.delete('/backups/ns/app');
    await catalog.refresh();
    const d = await ask('ns', 'app');
    assert.equal(d.cause, 'repository-empty-unexpectedly');
  });

  it('re-reads known repositories when discovery fails and reports the refresh as partial', async () => {
    const { source, catalog, ask } = setup('restic');
    source.discoverScript = ['/backups/ns/app'];
    source.scripts.set('/backups/ns/app', { pvcs: { 'ns/app': [A1] } });
    await catalog.refresh();
    source.discoverScript = new RepositoryError('unreachable', '/backups', 'listing failed');
    const report = await catalog.refresh();
    assert.equal(report.result, 'partial');
    assert.equal(report.discoveryFailure?.code, 'unreachable');
    assert.equal(source.reads.filter((k) => k === '/backups/ns/app').length, 2);
    assert.equal((await ask('ns', 'app')).decision, 'restore');
  });

  it('bounds a discovery that never answers by the refresh timeout', async () => {
    const { clock, source, catalog } = setup('restic', { refreshTimeoutMs: 5_000 });
    source.discoverScript = 'hang';
    const run = catalog.refresh();
    await settle();
    clock.advance(5_000);
    const report = await run;
    assert.equal(report.result, 'failure');
    assert.equal(report.discoveryFailure?.code, 'timeout');
    assert.equal(catalog.status().loaded, true, 'a failed first refresh still makes the catalog answer (unknown)');
  });

  it('does not let an older read overwrite a newer answer', async () => {
    const { clock, source, catalog } = setup('restic');
    source.discoverScript = ['/backups/ns/app'];
    source.scripts.set('/backups/ns/app', { pvcs: { 'ns/app': [A1] } });
    let open!: () => void;
    source.gate = new Promise((r) => {
      open = r;
    });
    const slowRefresh = catalog.refresh();
    await settle();
    clock.advance(1000);
    source.gate = undefined;
    source.scripts.set('/backups/ns/app', { pvcs: { 'ns/app': [A1, A2] } });
    // A lookup cannot race here (the repository is not read yet, so it reads on demand) — it records A1, A2 first.
    await catalog.lookup({ namespace: 'ns', pvc: 'app' });
    open();
    await slowRefresh;
    assert.deepEqual(
      catalog.facts({ namespace: 'ns', pvc: 'app' }).view?.snapshots.map((s) => s.id),
      ['a2', 'a1'],
    );
    assert.equal(pvcKey({ namespace: 'ns', pvc: 'app' }), 'ns/app');
  });

  it('stop() cancels reads in flight', async () => {
    const { source, catalog } = setup('restic');
    source.discoverScript = ['/backups/ns/app'];
    source.scripts.set('/backups/ns/app', 'hang');
    const run = catalog.refresh();
    await settle();
    await catalog.stop();
    const report = await run;
    assert.equal(report.failed, 1);
  });
});
