/**
 * The manager's contract: order, leader terms, readiness and a bounded stop. Components are small recorders; the
 * cache runs against a scripted loopback server (test/support/scripted-api.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { memoryLogger } from '../../test/support/memory-logger.ts';
import { type ScriptedApi, scriptedApi } from '../../test/support/scripted-api.ts';
import { InformerCache } from '../kube/informers.ts';
import { Manager, type Runnable } from './manager.ts';

let api: ScriptedApi;
let manager: Manager;
let log: ReturnType<typeof memoryLogger>;
let calls: string[];
beforeEach(async () => {
  api = await scriptedApi();
  log = memoryLogger();
  manager = new Manager({ cache: new InformerCache(api.kube), logger: log, stopTimeoutMs: 300 });
  calls = [];
});
afterEach(async () => {
  await manager.stop();
  await api.close();
});

function component(name: string, extra: Partial<Runnable> = {}): Runnable {
  return {
    name,
    start: async () => {
      calls.push(`start ${name}`);
    },
    stop: async () => {
      calls.push(`stop ${name}`);
    },
    ...extra,
  };
}

/** A manager with a 2 s stop budget that drains for `drainMs`. */
function drainingManager(drainMs: number): Manager {
  return new Manager({ cache: new InformerCache(api.kube), logger: log, stopTimeoutMs: 2_000, drainMs });
}

describe('Manager', () => {
  it('starts in order, runs leader-only components only during a term, and stops in reverse order', async () => {
    manager.add(component('a'), component('l1', { leaderOnly: true }), component('b'));
    manager.add(component('l2', { leaderOnly: true }));
    await manager.start();
    assert.deepEqual(calls, ['start a', 'start b'], 'leader-only components wait for a term');
    const term = new AbortController();
    const leading = manager.lead(term.signal);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(calls.slice(2), ['start l1', 'start l2']);
    term.abort();
    await leading;
    assert.deepEqual(calls.slice(4), ['stop l2', 'stop l1'], 'a term ends with its components, nothing else');
    assert.equal(await manager.stop(), true);
    assert.deepEqual(calls.slice(6), ['stop b', 'stop a']);
  });

  it('stopping while leading ends the term first, then the rest', async () => {
    manager.add(component('a'), component('l', { leaderOnly: true }));
    await manager.start();
    const term = new AbortController();
    const leading = manager.lead(term.signal);
    await new Promise((r) => setTimeout(r, 20));
    const stopped = manager.stop();
    term.abort(); // what the leader elector does when the process stops
    await leading;
    assert.equal(await stopped, true);
    assert.deepEqual(calls, ['start a', 'start l', 'stop l', 'stop a']);
  });

  it('is ready only once started, its serving caches synced and every component ready', async () => {
    api.names = ['x'];
    api.hold = true;
    let catalogLoaded = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const informer = manager.cache.informer({ apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'app=a' });
    manager.add(
      component('catalog', { notReady: () => (catalogLoaded ? undefined : 'catalog not loaded') }),
      component('slow', { start: () => gate }),
    );
    const starting = manager.start();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(manager.notReady(), 'starting slow');
    release();
    await starting;
    assert.equal(manager.notReady(), 'the cache of ConfigMap.v1 [app=a] has not finished its first list');
    while (!api.requests.includes('list app=a')) await new Promise((r) => setTimeout(r, 10));
    api.release();
    await informer.waitForSync();
    assert.equal(manager.notReady(), 'catalog not loaded');
    catalogLoaded = true;
    assert.equal(manager.notReady(), undefined);
    // A cache only the leader's components read does not make the replica unready while it fills.
    manager.cache.informer({ apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'app=leader' });
    assert.equal(manager.notReady(), undefined);
    const stopping = manager.stop();
    assert.equal(manager.notReady(), 'shutting down');
    await stopping;
  });

  it('bounds the graceful stop: a component that never stops is named and left behind, the others stop', async () => {
    manager.add(component('first'), component('hung', { stop: () => new Promise(() => {}) }), component('last'));
    await manager.start();
    const started = Date.now();
    assert.equal(await manager.stop(), false);
    assert.ok(Date.now() - started < 2_000, 'the stop is bounded');
    assert.deepEqual(calls, ['start first', 'start hung', 'start last', 'stop last', 'stop first']);
    assert.ok(
      log.lines.some((l) => l.startsWith('warn did not stop in time; left behind') && l.includes('"component":"hung"')),
      log.lines.join('\n'),
    );
  });

  it('stops a component whose start finished after the stop began', async () => {
    let release: () => void = () => {};
    manager.add(
      component('deaf', {
        start: async () => {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          calls.push('start deaf');
        },
      }),
      component('never'),
    );
    const starting = manager.start();
    await new Promise((r) => setTimeout(r, 20));
    const stopping = manager.stop();
    release();
    await starting;
    await stopping;
    assert.deepEqual(calls, ['start deaf', 'stop deaf'], 'stopped, and nothing after it started');
  });

  it('drains: after the term ends, the every-replica components are told to drain and keep serving (not ready) for drainMs, then stop', async () => {
    const draining = drainingManager(150);
    const at: Record<string, number> = {};
    const timed = (name: string, leaderOnly = false): Runnable =>
      component(name, {
        leaderOnly,
        stop: async () => {
          at[name] = Date.now();
          calls.push(`stop ${name}`);
        },
        drain: () => {
          calls.push(`drain ${name}`);
        },
      });
    draining.add(timed('webhook'), timed('controller', true));
    await draining.start();
    const term = new AbortController();
    const leading = draining.lead(term.signal);
    await new Promise((r) => setTimeout(r, 20));
    const stopping = draining.stop();
    term.abort();
    await leading;
    assert.ok(calls.includes('stop controller') && !calls.includes('stop webhook'), 'the term ended at once, first');
    assert.equal(draining.notReady(), 'shutting down', 'not ready while draining');
    assert.equal(await stopping, true);
    assert.deepEqual(
      calls.slice(-3),
      ['stop controller', 'drain webhook', 'stop webhook'],
      'only the every-replica component that still runs is told to drain',
    );
    const served = (at.webhook as number) - (at.controller as number);
    assert.ok(served >= 140, `the webhook served ${served} ms after the term ended`);
    assert.ok(
      log.lines.some((l) => l.includes('serving while the Service stops routing here')),
      log.lines.join('\n'),
    );
  });

  it('drains at most half of what is left of the stop budget, so the components still stop in time', async () => {
    const draining = drainingManager(60_000);
    draining.add(component('webhook'));
    await draining.start();
    const started = Date.now();
    assert.equal(await draining.stop(), true, 'every component stopped within the budget');
    const took = Date.now() - started;
    assert.ok(took >= 950 && took < 1_900, `drained about half of the 2 s budget, not all of it: ${took} ms`);
    assert.deepEqual(calls, ['start webhook', 'stop webhook']);
  });

  it('refuses components added after the start', async () => {
    await manager.start();
    assert.throws(() => manager.add(component('late')), /components are added before the manager starts \(late\)/);
  });
});
