import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Registry } from 'prom-client';
import { WorkQueue } from './workqueue.ts';

/** Lets pending promise callbacks run (setImmediate is not faked). */
const settle = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
};

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function metricValue(registry: Registry, name: string, queue: string, suffix = ''): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  const wanted = `${name}${suffix}`;
  return metric?.values.find(
    (v) => v.labels.name === queue && ((v as { metricName?: string }).metricName ?? name) === wanted,
  )?.value;
}

describe('WorkQueue', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  it('processes a key added several times while queued once', async () => {
    const registry = new Registry();
    const queue = new WorkQueue({ name: 'dedup', registry });
    for (let i = 0; i < 3; i++) queue.add('ns/a');
    queue.add('ns/b');
    assert.equal(queue.depth, 2);
    const seen: string[] = [];
    queue.start(async (key) => {
      seen.push(key);
    });
    await settle();
    assert.deepEqual(seen, ['ns/a', 'ns/b']);
    assert.equal(await metricValue(registry, 'workqueue_adds_total', 'dedup'), 2);
    assert.equal(await metricValue(registry, 'workqueue_depth', 'dedup'), 0);
    await queue.shutdown();
  });

  it('never processes one key concurrently, and runs a key re-added during processing once more after', async () => {
    const queue = new WorkQueue({ name: 'serial', concurrency: 4 });
    const gates = [deferred(), deferred()];
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    queue.start(async () => {
      const gate = gates[runs++];
      running++;
      maxRunning = Math.max(maxRunning, running);
      await gate?.promise;
      running--;
    });
    queue.add('k');
    await settle();
    assert.equal(runs, 1);
    queue.add('k');
    queue.add('k');
    await settle();
    assert.equal(runs, 1, 'not started again while the first run is in flight');
    assert.equal(queue.depth, 0, 'the re-added key waits outside the queue');
    gates[0]?.resolve();
    await settle();
    assert.equal(runs, 2, 'runs exactly once more');
    gates[1]?.resolve();
    await settle();
    assert.equal(runs, 2);
    assert.equal(maxRunning, 1);
    await queue.shutdown();
  });

  it('bounds concurrency across different keys', async () => {
    const queue = new WorkQueue({ name: 'bounded', concurrency: 2 });
    const gates = new Map<string, ReturnType<typeof deferred>>();
    let maxRunning = 0;
    const done: string[] = [];
    queue.start(async (key) => {
      const gate = deferred();
      gates.set(key, gate);
      maxRunning = Math.max(maxRunning, queue.active);
      await gate.promise;
      done.push(key);
    });
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    await settle();
    assert.equal(queue.active, 2);
    assert.equal(queue.depth, 3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      await settle();
      gates.get(key)?.resolve();
    }
    await settle();
    assert.deepEqual(done, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(maxRunning, 2);
    await queue.shutdown();
  });

  it('retries a failing key with exponential backoff and forgets it on success', async () => {
    const registry = new Registry();
    const queue = new WorkQueue({ name: 'backoff', baseDelayMs: 5, maxDelayMs: 1000, retryRate: false, registry });
    let attempts = 0;
    queue.start(async () => {
      attempts++;
      if (attempts <= 3) throw new Error(`boom ${attempts}`);
    });
    queue.add('k');
    await settle();
    assert.equal(attempts, 1);
    assert.equal(queue.failures('k'), 1);
    // Delays 5, 10, 20 ms: one ms short of each, nothing happens.
    for (const delay of [5, 10, 20]) {
      mock.timers.tick(delay - 1);
      await settle();
      const before: number = attempts;
      mock.timers.tick(1);
      await settle();
      assert.equal(attempts, before + 1, `retried after ${delay} ms`);
    }
    assert.equal(attempts, 4);
    assert.equal(queue.failures('k'), 0, 'success forgets the failures');
    assert.equal(await metricValue(registry, 'workqueue_retries_total', 'backoff'), 3);
    await queue.shutdown();
  });

  it('waits at most maxDelayMs for a key that failed many times', async () => {
    const queue = new WorkQueue({ name: 'cap2', baseDelayMs: 5, maxDelayMs: 100, retryRate: false });
    let attempts = 0;
    queue.start(async () => {
      attempts++;
      throw new Error('always');
    });
    queue.add('k');
    await settle();
    // 5, 10, 20, 40, 80 ms, then capped: 100 ms (not 160) before the 7th attempt.
    for (const delay of [5, 10, 20, 40, 80]) {
      mock.timers.tick(delay);
      await settle();
    }
    assert.equal(attempts, 6);
    mock.timers.tick(99);
    await settle();
    assert.equal(attempts, 6);
    mock.timers.tick(1);
    await settle();
    assert.equal(attempts, 7);
    await queue.shutdown();
  });

  it('limits the overall retry rate across keys', async () => {
    const queue = new WorkQueue({ name: 'overall', baseDelayMs: 1, retryRate: { perSecond: 1, burst: 1 } });
    const runs: string[] = [];
    queue.start(async (key) => {
      runs.push(key);
    });
    queue.addRateLimited('a');
    queue.addRateLimited('b');
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(runs, ['a'], 'the bucket had one token');
    mock.timers.tick(998);
    await settle();
    assert.deepEqual(runs, ['a']);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(runs, ['a', 'b']);
    await queue.shutdown();
  });

  it('addAfter delays a key; the earliest pending delay wins', async () => {
    const queue = new WorkQueue({ name: 'after' });
    const runs: number[] = [];
    queue.start(async () => {
      runs.push(Date.now());
    });
    const t0 = Date.now();
    queue.addAfter('k', 1000);
    queue.addAfter('k', 300);
    queue.addAfter('k', 2000);
    mock.timers.tick(299);
    await settle();
    assert.equal(runs.length, 0);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(
      runs.map((t) => t - t0),
      [300],
    );
    mock.timers.tick(5000);
    await settle();
    assert.equal(runs.length, 1, 'the later delays were folded into the earlier one');
    await queue.shutdown();
  });

  it('requeues a key after a successful reconcile that asks for it', async () => {
    const queue = new WorkQueue({ name: 'requeue' });
    let runs = 0;
    queue.start(async () => {
      runs++;
      return runs < 3 ? { requeueAfterMs: 60_000 } : undefined;
    });
    queue.add('k');
    await settle();
    assert.equal(runs, 1);
    mock.timers.tick(59_999);
    await settle();
    assert.equal(runs, 1);
    mock.timers.tick(1);
    await settle();
    assert.equal(runs, 2);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(runs, 3);
    mock.timers.tick(600_000);
    await settle();
    assert.equal(runs, 3);
    await queue.shutdown();
  });

  it('shutdown aborts the signal, drops queued and delayed keys, and waits for in-flight work', async () => {
    const queue = new WorkQueue({ name: 'shutdown', concurrency: 1 });
    const gate = deferred();
    const seen: string[] = [];
    let signalOfFirst: AbortSignal | undefined;
    queue.start(async (key, signal) => {
      seen.push(key);
      signalOfFirst ??= signal;
      await gate.promise;
    });
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 10);
    await settle();
    let finished = false;
    const stopping = queue.shutdown().then(() => {
      finished = true;
    });
    await settle();
    assert.equal(signalOfFirst?.aborted, true);
    assert.equal(finished, false, 'still waiting for the in-flight reconcile');
    queue.add('d');
    gate.resolve();
    await stopping;
    mock.timers.tick(100);
    await settle();
    assert.deepEqual(seen, ['a'], 'nothing started after shutdown');
    assert.equal(queue.depth, 0);
  });

  it('shares one registry between queues, told apart by the name label', async () => {
    const registry = new Registry();
    const q1 = new WorkQueue({ name: 'one', registry });
    const q2 = new WorkQueue({ name: 'two', registry });
    q1.add('x');
    q2.add('x');
    q2.add('y');
    const ran: string[] = [];
    q1.start(async (key) => {
      ran.push(`one:${key}`);
    });
    q2.start(async (key) => {
      ran.push(`two:${key}`);
      if (key === 'y') throw new Error('retry me');
    });
    await settle();
    assert.equal(await metricValue(registry, 'workqueue_adds_total', 'one'), 1);
    assert.equal(await metricValue(registry, 'workqueue_adds_total', 'two'), 2);
    assert.equal(await metricValue(registry, 'workqueue_retries_total', 'two'), 1);
    assert.equal(
      await metricValue(registry, 'workqueue_work_duration_seconds', 'two', '_count'),
      2,
      'one observation per reconcile',
    );
    assert.equal(await metricValue(registry, 'workqueue_queue_duration_seconds', 'one', '_count'), 1);
    const text = await registry.metrics();
    assert.match(text, /workqueue_depth\{name="one"\} 0/);
    await Promise.all([q1.shutdown(), q2.shutdown()]);
  });
});
