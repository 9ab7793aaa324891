/**
 * The kube layer against a real kube-apiserver + etcd: reflector (list, watch, reconnect, 410 relist, resync), Event
 * recorder, Lease leader election and the work queue under a reconcile-like load.
 *
 * Network faults are real: clients that must lose the API server talk to it through a TCP proxy on 127.0.0.1 that
 * the test cuts (open connections reset) or closes (the port refuses connections). A 410 is produced the way
 * production meets it: etcd's history is compacted while a watcher is away. This file starts its own control plane
 * because compacting the shared one would disturb other test files.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { describeKubeError, KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { isConflict } from '../../src/kube/errors.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { InClusterConfig } from '../../src/kube/incluster.ts';
import { LeaderElector } from '../../src/kube/leader.ts';
import { Reflector, type ReflectorEvent } from '../../src/kube/reflector.ts';
import { splitKey } from '../../src/kube/store.ts';
import { microTime } from '../../src/kube/time.ts';
import { WorkQueue } from '../../src/kube/workqueue.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { memoryLogger } from '../support/memory-logger.ts';

/** A TCP relay to the API server that the test can cut (reset open connections) and close (refuse new ones). */
class TcpProxy {
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly target: URL;

  constructor(target: string) {
    this.target = new URL(target);
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = netConnect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
  }

  /** Resets every relayed connection (a watch sees its socket die). */
  cut(): void {
    for (const s of this.sockets) s.resetAndDestroy();
  }

  /** Cuts and stops listening: the port refuses connections until `open()` again. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function viaServer(kc: KubeConfig, server: string): KubeConfig {
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return copy;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collect<T>(reflector: Reflector<T & KubeObject>): ReflectorEvent<T & KubeObject>[] {
  const events: ReflectorEvent<T & KubeObject>[] = [];
  reflector.on((e) => events.push(e));
  return events;
}

const has = (events: ReflectorEvent<KubeObject>[], type: string, key: string) =>
  events.some((e) => e.type === type && e.key === key);

let cp: ControlPlane;
let kube: KubeClient;
const cleanups: (() => Promise<void> | void)[] = [];

async function namespace(name: string): Promise<string> {
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function configMap(
  ns: string,
  name: string,
  data: Record<string, string>,
  labels?: Record<string, string>,
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data };
}

async function etcdCompact(): Promise<void> {
  const range = await fetch(`${cp.etcdUrl}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
  });
  const revision = ((await range.json()) as { header: { revision: string } }).header.revision;
  const res = await fetch(`${cp.etcdUrl}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision, physical: true }),
  });
  assert.equal(res.status, 200, await res.text());
}

before(async () => {
  cp = await startControlPlane({ crds: 'kopia-fork' });
  kube = new KubeClient(cp.kubeConfig);
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  kube?.close();
  await cp?.stop();
});

describe('Reflector', () => {
  it('lists (paginated), then sees adds, updates and deletes; the transform keeps only what it returns', async () => {
    const ns = await namespace('reflect-basic');
    for (const name of ['a', 'b', 'c', 'd', 'e']) await kube.apply(configMap(ns, name, { v: '1' }, { app: 'r' }));
    await kube.apply(configMap(ns, 'unlabelled', { v: '1' }));
    const reflector = new Reflector<KubeObject>(kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      labelSelector: 'app=r',
      pageSize: 2,
      transform: (o) => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: {
          name: o.metadata.name,
          namespace: o.metadata.namespace,
          resourceVersion: o.metadata.resourceVersion,
        },
        data: o.data,
      }),
    });
    cleanups.push(() => reflector.stop());
    const events = collect(reflector);
    reflector.start();
    await reflector.waitForSync({ timeoutMs: 20_000 });
    assert.equal(reflector.hasSynced(), true);
    assert.deepEqual(
      reflector.keys().sort(),
      ['a', 'b', 'c', 'd', 'e'].map((n) => `${ns}/${n}`),
    );
    assert.equal(events.filter((e) => e.type === 'add').length, 5);
    assert.equal(reflector.stats.listPages, 3, '5 objects in pages of 2');
    assert.equal(reflector.get(`${ns}/a`)?.metadata.managedFields, undefined);
    assert.equal(reflector.get(`${ns}/a`)?.metadata.uid, undefined, 'the transform dropped it');

    await kube.apply(configMap(ns, 'f', { v: '1' }, { app: 'r' }));
    await waitFor('add of f', () => has(events, 'add', `${ns}/f`));
    await kube.apply(configMap(ns, 'a', { v: '2' }, { app: 'r' }));
    await waitFor('update of a', () => has(events, 'update', `${ns}/a`));
    const update = events.find((e) => e.type === 'update' && e.key === `${ns}/a`);
    assert.deepEqual(update?.old?.data, { v: '1' });
    assert.deepEqual(update?.object.data, { v: '2' });
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'b', namespace: ns });
    await waitFor('delete of b', () => has(events, 'delete', `${ns}/b`));
    assert.equal(reflector.get(`${ns}/b`), undefined);
    assert.equal(has(events, 'add', `${ns}/unlabelled`), false, 'the label selector applies');
    assert.equal(reflector.stats.lists, 1);
    await reflector.stop();
  });

  it('watches custom resources (a VolSync ReplicationSource) across all namespaces', async () => {
    const ns = await namespace('reflect-crd');
    const reflector = new Reflector(kube, { apiVersion: 'volsync.backube/v1alpha1', kind: 'ReplicationSource' });
    cleanups.push(() => reflector.stop());
    const events = collect(reflector);
    reflector.start();
    await reflector.waitForSync({ timeoutMs: 20_000 });
    await kube.apply({
      apiVersion: 'volsync.backube/v1alpha1',
      kind: 'ReplicationSource',
      metadata: { name: 'data-backup', namespace: ns },
      spec: {
        sourcePVC: 'data',
        trigger: { manual: 'once' },
        kopia: { repository: 'volsync-data', copyMethod: 'Snapshot' },
      },
    });
    await waitFor('add of the ReplicationSource', () => has(events, 'add', `${ns}/data-backup`));
    assert.equal(reflector.get(`${ns}/data-backup`)?.kind, 'ReplicationSource');
    await reflector.stop();
  });

  it('metadata only: knows which objects exist without their contents, and follows a label selector in and out', async () => {
    const ns = await namespace('reflect-meta');
    const secret = (name: string, labels: Record<string, string> = {}) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns, labels },
      stringData: { password: `${name}-secret-value` },
    });
    await kube.apply(secret('theirs'));
    await kube.apply(secret('ours', { 'app.kubernetes.io/managed-by': 'lifeboat' }));
    const reflector = new Reflector(kube, {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: ns,
      labelSelector: 'app.kubernetes.io/managed-by!=lifeboat',
      metadataOnly: true,
    });
    cleanups.push(() => reflector.stop());
    const events = collect(reflector);
    assert.equal(reflector.isCurrent(), false, 'not current before its first list');
    reflector.start();
    await reflector.waitForSync({ timeoutMs: 20_000 });
    assert.equal(reflector.isCurrent(), true);
    assert.deepEqual(reflector.keys(), [`${ns}/theirs`], 'the unlabelled Secret only');
    const listed = reflector.get(`${ns}/theirs`) as KubeObject;
    assert.equal(listed.apiVersion, 'v1', 'stored as what was watched, not as PartialObjectMetadata');
    assert.equal(listed.kind, 'Secret');
    assert.equal(listed.data, undefined, 'no contents crossed the wire');
    assert.equal(JSON.stringify(listed).includes('secret-value'), false);

    await kube.apply(secret('later'));
    await waitFor('add of a new unlabelled Secret', () => has(events, 'add', `${ns}/later`));
    const watched = reflector.get(`${ns}/later`) as KubeObject;
    assert.deepEqual([watched.apiVersion, watched.kind, watched.data], ['v1', 'Secret', undefined]);
    // The label removed: the Secret enters the selection; set again: it leaves it.
    await kube.http.request('PATCH', `/api/v1/namespaces/${ns}/secrets/ours`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { 'app.kubernetes.io/managed-by': null } } },
    });
    await waitFor('the relabelled Secret enters', () => has(events, 'add', `${ns}/ours`));
    await kube.http.request('PATCH', `/api/v1/namespaces/${ns}/secrets/ours`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'lifeboat' } } },
    });
    await waitFor('and leaves again', () => has(events, 'delete', `${ns}/ours`));
    assert.deepEqual(reflector.keys().sort(), [`${ns}/later`, `${ns}/theirs`]);
    await reflector.stop();
    assert.equal(reflector.isCurrent(), false, 'a stopped reflector is not current');
  });

  it('is not current after quietLimitMs without a word from the server, and current again when it speaks', async () => {
    const ns = await namespace('reflect-quiet');
    const reflector = new Reflector(kube, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, quietLimitMs: 1_500 });
    cleanups.push(() => reflector.stop());
    const events = collect(reflector);
    reflector.start();
    await reflector.waitForSync({ timeoutMs: 20_000 });
    assert.equal(reflector.isCurrent(), true, 'the list just answered');
    await waitFor('silence past the limit', () => !reflector.isCurrent(), 10_000);
    assert.equal(reflector.stats.watchErrors, 0, 'nothing failed: the watch is merely quiet');
    await kube.apply(configMap(ns, 'speaks', { v: '1' }));
    await waitFor('the event', () => has(events, 'add', `${ns}/speaks`));
    assert.equal(reflector.isCurrent(), true);
    await reflector.stop();
  });

  it('a quiet kind stays current when its watch ends at a timeout below the limit (the server was there)', async () => {
    const ns = await namespace('reflect-still');
    const reflector = new Reflector(kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      quietLimitMs: 4_000,
      watchTimeoutSeconds: 1,
    });
    cleanups.push(() => reflector.stop());
    reflector.start();
    await reflector.waitForSync({ timeoutMs: 20_000 });
    const until = Date.now() + 9_000; // more than twice the limit
    while (Date.now() < until) {
      assert.equal(reflector.isCurrent(), true, 'no event for seconds, yet the server ended each watch on time');
      await delay(250);
    }
    assert.ok(reflector.stats.watches >= 5, `watches reopened (${reflector.stats.watches})`);
    assert.equal(reflector.stats.watchErrors, 0);
    await reflector.stop();
  });

  it('survives a cut connection: reconnects from its resourceVersion and delivers what changed meanwhile', async () => {
    const ns = await namespace('reflect-cut');
    for (const name of ['keep', 'change', 'remove']) await kube.apply(configMap(ns, name, { v: '1' }));
    const proxy = new TcpProxy(cp.server);
    await proxy.open();
    cleanups.push(() => proxy.close());
    const viaProxy = new KubeClient(viaServer(cp.kubeConfig, proxy.url));
    cleanups.push(() => viaProxy.close());
    const reflector = new Reflector(viaProxy, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    cleanups.push(() => reflector.stop());
    const events = collect(reflector);
    reflector.start();
    await reflector.waitForSync({ timeoutMs: 20_000 });
    await waitFor('the watch is open', () => reflector.stats.watches >= 1);
    await delay(200);
    assert.equal(reflector.isCurrent(), true, 'synced and nothing failed');

    await proxy.close();
    await kube.apply(configMap(ns, 'new', { v: '1' }));
    await kube.apply(configMap(ns, 'change', { v: '2' }));
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'remove', namespace: ns });
    await waitFor('the reflector noticed the outage', () => reflector.stats.watchErrors >= 2);
    assert.equal(has(events, 'add', `${ns}/new`), false, 'nothing arrives while the port is closed');
    assert.equal(reflector.isCurrent(), false, 'a store that may lack what was created meanwhile is not current');
    await proxy.open();

    await waitFor('missed add, update and delete', () =>
      ['add/new', 'update/change', 'delete/remove'].every((x) => {
        const [type = '', name = ''] = x.split('/');
        return has(events, type, `${ns}/${name}`);
      }),
    );
    assert.equal(reflector.stats.lists, 1, 'resumed from its resourceVersion: no relist needed');
    assert.equal(reflector.isCurrent(), true, 'current again once the new watch delivered');
    assert.equal(has(events, 'update', `${ns}/keep`), false);
    assert.deepEqual(reflector.keys().sort(), [`${ns}/change`, `${ns}/keep`, `${ns}/new`]);
    await reflector.stop();
  });

  it('on 410 Gone (etcd compacted while away) relists and emits add/update/delete for what changed', async () => {
    // Events are served from etcd without the API server's watch cache, so a compaction expires an old
    // resourceVersion for them at once; the reflector is the same for every kind.
    const ns = await namespace('reflect-gone');
    const coreEvent = (name: string, message: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'subject', namespace: ns },
      reason: 'Test',
      message,
      type: 'Normal',
    });
    const eventsPath = `/api/v1/namespaces/${ns}/events`;
    for (const name of ['keep', 'change', 'remove']) {
      await kube.http.request('POST', eventsPath, { body: coreEvent(name, 'first') });
    }
    const proxy = new TcpProxy(cp.server);
    await proxy.open();
    cleanups.push(() => proxy.close());
    const viaProxy = new KubeClient(viaServer(cp.kubeConfig, proxy.url));
    cleanups.push(() => viaProxy.close());
    const log = memoryLogger();
    const reflector = new Reflector(viaProxy, {
      apiVersion: 'v1',
      kind: 'Event',
      namespace: ns,
      backoff: { initialMs: 50, maxMs: 200 },
      logger: log,
    });
    cleanups.push(() => reflector.stop());
    const events = collect(reflector);
    reflector.start();
    await reflector.waitForSync({ timeoutMs: 20_000 });
    await waitFor('the watch is open', () => reflector.stats.watches >= 1);
    const before = events.length;

    await proxy.close();
    await kube.http.request('POST', eventsPath, { body: coreEvent('new', 'first') });
    await kube.http.request('PATCH', `${eventsPath}/change`, {
      contentType: 'application/merge-patch+json',
      body: { message: 'second' },
    });
    await kube.http.request('DELETE', `${eventsPath}/remove`);
    await etcdCompact();
    await proxy.open();

    await waitFor('synthetic add, update and delete', () =>
      ['add/new', 'update/change', 'delete/remove'].every((x) => {
        const [type = '', name = ''] = x.split('/');
        return has(events, type, `${ns}/${name}`);
      }),
    );
    assert.ok(reflector.stats.expired >= 1, 'the watch ended with 410');
    assert.equal(reflector.stats.lists, 2, 'one relist');
    assert.ok(
      log.lines.some((l) => /relisting/.test(l) && /410/.test(l)),
      log.lines.join('\n'),
    );
    const after = events.slice(before);
    assert.equal(
      after.some((e) => e.key === `${ns}/keep`),
      false,
      'an unchanged object gets no synthetic event',
    );
    assert.equal(reflector.get(`${ns}/change`)?.message, 'second');
    assert.equal(reflector.get(`${ns}/remove`), undefined);

    // And it keeps watching after the relist.
    await kube.http.request('POST', eventsPath, { body: coreEvent('later', 'first') });
    await waitFor('add after the relist', () => has(events, 'add', `${ns}/later`));
    await reflector.stop();
  });

  it('re-emits every object as resync at the interval, from the cache, without API calls', async () => {
    const ns = await namespace('reflect-resync');
    for (const name of ['x', 'y']) await kube.apply(configMap(ns, name, { v: '1' }));
    const reflector = new Reflector(kube, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, resyncMs: 300 });
    cleanups.push(() => reflector.stop());
    const events = collect(reflector);
    reflector.start();
    await reflector.waitForSync({ timeoutMs: 20_000 });
    await waitFor('the watch is open', () => reflector.stats.watches >= 1);
    const calls = { lists: reflector.stats.lists, watches: reflector.stats.watches };
    await waitFor('two resync rounds', () => events.filter((e) => e.type === 'resync').length >= 4);
    const resynced = events.filter((e) => e.type === 'resync').map((e) => e.key);
    assert.ok(resynced.includes(`${ns}/x`) && resynced.includes(`${ns}/y`));
    assert.deepEqual({ lists: reflector.stats.lists, watches: reflector.stats.watches }, calls);

    const stopped = performance.now();
    await reflector.stop();
    assert.ok(performance.now() - stopped < 1000, 'stop() ends the open watch promptly');
    const count = events.length;
    await kube.apply(configMap(ns, 'z', { v: '1' }));
    await delay(500);
    assert.equal(events.length, count, 'no events after stop()');
  });
});

describe('EventRecorder', () => {
  async function pvc(ns: string, name: string): Promise<KubeObject> {
    return await kube.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
  }

  /** What `kubectl describe pvc` asks for: core/v1 Events selected by the object's name, namespace, kind and uid. */
  async function describeEvents(obj: KubeObject) {
    const fieldSelector = [
      `involvedObject.name=${obj.metadata.name}`,
      `involvedObject.namespace=${obj.metadata.namespace}`,
      `involvedObject.kind=${obj.kind}`,
      `involvedObject.uid=${obj.metadata.uid}`,
    ].join(',');
    const list = await kube.http.request<{ items: Record<string, unknown>[] }>(
      'GET',
      `/api/v1/namespaces/${obj.metadata.namespace}/events`,
      { query: { fieldSelector } },
    );
    return list.items as {
      type: string;
      reason: string;
      message: string;
      action: string;
      reportingComponent: string;
      reportingInstance: string;
      series?: { count: number };
    }[];
  }

  it('creates Events kubectl describe shows, and aggregates repeats into one Event with a series count', async () => {
    const ns = await namespace('events-aggregate');
    const claim = await pvc(ns, 'data');
    const registry = new Registry();
    const recorder = new EventRecorder(kube, { reportingInstance: 'lifeboat-0', seriesFlushMs: 100, registry });
    cleanups.push(() => recorder.close());
    for (let i = 0; i < 5; i++) {
      recorder.warning(claim, 'RepositoryUnreachable', 'Reconcile', 'kopia repository s3://backups is unreachable');
    }
    recorder.normal(claim, 'BackupConfigured', 'Reconcile', 'ReplicationSource data-backup created');
    await recorder.flush();
    await waitFor('the series count reached the API server', async () => {
      const events = await describeEvents(claim);
      return events.find((e) => e.reason === 'RepositoryUnreachable')?.series?.count === 5;
    });
    const events = await describeEvents(claim);
    assert.equal(events.length, 2, JSON.stringify(events));
    const warning = events.find((e) => e.reason === 'RepositoryUnreachable');
    assert.equal(warning?.type, 'Warning');
    assert.equal(warning?.message, 'kopia repository s3://backups is unreachable');
    assert.equal(warning?.action, 'Reconcile');
    assert.equal(warning?.reportingComponent, 'lifeboat');
    assert.equal(warning?.reportingInstance, 'lifeboat-0');
    assert.equal(events.find((e) => e.reason === 'BackupConfigured')?.series, undefined);

    // More repeats: still the same Event, the count grows.
    recorder.warning(claim, 'RepositoryUnreachable', 'Reconcile', 'kopia repository s3://backups is unreachable');
    recorder.warning(claim, 'RepositoryUnreachable', 'Reconcile', 'kopia repository s3://backups is unreachable');
    await recorder.flush();
    const again = await describeEvents(claim);
    assert.equal(again.length, 2);
    assert.equal(again.find((e) => e.reason === 'RepositoryUnreachable')?.series?.count, 7);
    const text = await registry.metrics();
    assert.match(text, /lifeboat_kube_events_total\{result="created"\} 2/);
    assert.match(text, /lifeboat_kube_events_total\{result="aggregated"\} 6/);
    await recorder.close();
  });

  it('rate-limits per object and drops the excess', async () => {
    const ns = await namespace('events-limit');
    const claim = await pvc(ns, 'noisy');
    const registry = new Registry();
    const recorder = new EventRecorder(kube, {
      reportingInstance: 'lifeboat-0',
      perObject: { burst: 3, perSecond: 1 / 300 },
      registry,
    });
    cleanups.push(() => recorder.close());
    for (let i = 0; i < 10; i++) recorder.warning(claim, 'RestoreFailed', 'Restore', `attempt ${i} failed`);
    await recorder.flush();
    assert.equal((await describeEvents(claim)).length, 3);
    assert.match(await registry.metrics(), /lifeboat_kube_events_total\{result="rate_limited"\} 7/);
    await recorder.close();
  });

  it('never throws into the caller: failures are logged with the server message and counted', async () => {
    const registry = new Registry();
    const log = memoryLogger();
    const recorder = new EventRecorder(kube, { reportingInstance: 'lifeboat-0', registry, logger: log });
    const ghost: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'no-such-namespace', uid: '00000000-0000-0000-0000-000000000000' },
    };
    assert.doesNotThrow(() => recorder.warning(ghost, 'Test', 'Test', 'into a namespace that does not exist'));
    await recorder.flush();
    assert.match(await registry.metrics(), /lifeboat_kube_events_total\{result="failed"\} 1/);
    assert.ok(
      log.lines.some((l) => /creating an event failed/.test(l) && /no-such-namespace/.test(l) && /not found/.test(l)),
      log.lines.join('\n'),
    );

    // An API server that is not there at all.
    const proxy = new TcpProxy(cp.server);
    await proxy.open();
    const url = proxy.url;
    await proxy.close();
    const offline = new KubeClient(viaServer(cp.kubeConfig, url));
    const unreachable = new EventRecorder(offline, { reportingInstance: 'lifeboat-0', registry });
    assert.doesNotThrow(() => unreachable.normal(ghost, 'Test', 'Test', 'nobody listens'));
    await unreachable.flush();
    assert.match(await registry.metrics(), /lifeboat_kube_events_total\{result="failed"\} 2/);
    offline.close();
  });
});

describe('LeaderElector', () => {
  const timing = { leaseDurationSeconds: 4, renewDeadlineMs: 2500, retryPeriodMs: 400 };

  interface Candidate {
    elector: LeaderElector;
    identity: string;
    startedAt?: number;
    stoppedAt?: number;
    signal?: AbortSignal;
    result?: Promise<string>;
  }

  function candidate(client: KubeClient, ns: string, lease: string, identity: string, work?: () => Promise<void>) {
    const c: Candidate = {
      identity,
      elector: new LeaderElector(client, {
        namespace: ns,
        name: lease,
        identity,
        ...timing,
        onStartedLeading: async (signal) => {
          c.startedAt = performance.now();
          c.signal = signal;
          signal.addEventListener('abort', () => {
            c.stoppedAt = performance.now();
          });
          if (work) return await work();
          // The leader's work: runs until the term ends.
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        },
      }),
    };
    cleanups.push(() => c.elector.stop());
    return c;
  }

  /** Samples the candidates every 10 ms; `check()` fails if two of them ever led at the same time. */
  function watchForTwoLeaders(candidates: Candidate[]): { check: () => void } {
    const overlaps: string[] = [];
    const timer = setInterval(() => {
      const leaders = candidates.filter((c) => c.elector.isLeader()).map((c) => c.identity);
      if (leaders.length > 1) overlaps.push(leaders.join(' + '));
    }, 10);
    // Cleared also when the test fails before check(): a live interval would keep this file from ever ending.
    cleanups.push(() => clearInterval(timer));
    return {
      check: () => {
        clearInterval(timer);
        assert.deepEqual(overlaps, [], 'two leaders at once');
      },
    };
  }

  /**
   * Rewrites a Lease's spec behind the candidates' backs. The holder renews every 400 ms, so the read-modify-write is
   * retried until it wins the race.
   */
  async function rewriteLease(
    ns: string,
    lease: string,
    change: (spec: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${lease}`;
    await waitFor(`Lease ${ns}/${lease} rewritten`, async () => {
      const current = await kube.http.request<KubeObject & { spec: Record<string, unknown> }>('GET', path);
      try {
        await kube.http.request('PUT', path, { body: { ...current, spec: change(current.spec) } });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    });
  }

  async function holder(ns: string, lease: string): Promise<string | undefined> {
    const obj = await kube.http.request<{ spec?: { holderIdentity?: string } }>(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${lease}`,
    );
    return obj.spec?.holderIdentity;
  }

  it('of two candidates exactly one leads; stopping it releases the Lease and the other takes over at once', async () => {
    const ns = await namespace('leader-handover');
    const a = candidate(kube, ns, 'lifeboat', 'a');
    const b = candidate(kube, ns, 'lifeboat', 'b');
    const guard = watchForTwoLeaders([a, b]);
    a.result = a.elector.run();
    b.result = b.elector.run();
    await waitFor('a leader', () => a.elector.isLeader() || b.elector.isLeader());
    await delay(2 * timing.retryPeriodMs * 2);
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    assert.equal(follower.elector.isLeader(), false);
    assert.equal(await holder(ns, 'lifeboat'), leader.identity);
    assert.equal(follower.elector.leader, leader.identity, 'the follower sees who leads');

    const stopping = performance.now();
    await leader.elector.stop();
    assert.equal(await leader.result, 'stopped');
    assert.equal(leader.signal?.aborted, true);
    await waitFor('the follower leads', () => follower.elector.isLeader());
    const takeover = performance.now() - stopping;
    assert.ok(
      takeover < timing.leaseDurationSeconds * 1000,
      `took over in ${Math.round(takeover)} ms: released, not expired`,
    );
    assert.ok((leader.stoppedAt ?? Infinity) < (follower.startedAt ?? 0), 'terms do not overlap');
    assert.equal(await holder(ns, 'lifeboat'), follower.identity);
    await follower.elector.stop();
    assert.equal(await holder(ns, 'lifeboat'), undefined, 'released on stop');
    guard.check();
  });

  it('releases the Lease on stop even after a renewal whose reply it never saw', async () => {
    const ns = await namespace('leader-lost-reply');
    const a = candidate(kube, ns, 'lifeboat', 'unanswered');
    a.result = a.elector.run();
    await waitFor('a leads', () => a.elector.isLeader());
    // Playing a renewal that reached the server while its reply was lost (cut short by the stop): the same holder, a
    // newer renewTime, a resourceVersion the elector never saw. Its release must not turn into a wait for expiry.
    await rewriteLease(ns, 'lifeboat', (spec) => ({ ...spec, renewTime: microTime() }));
    await a.elector.stop();
    assert.equal(await a.result, 'stopped');
    assert.equal(await holder(ns, 'lifeboat'), undefined, 'released at once, not left to expire');
  });

  it('a leader that cannot renew (its API server port closed) stops before another takes over', async () => {
    const ns = await namespace('leader-partition');
    const proxy = new TcpProxy(cp.server);
    await proxy.open();
    cleanups.push(() => proxy.close());
    const viaProxy = new KubeClient(viaServer(cp.kubeConfig, proxy.url), undefined, { timeoutMs: 2000 });
    cleanups.push(() => viaProxy.close());
    const a = candidate(viaProxy, ns, 'lifeboat', 'partitioned');
    a.result = a.elector.run();
    await waitFor('a leads', () => a.elector.isLeader());
    const b = candidate(kube, ns, 'lifeboat', 'standby');
    const guard = watchForTwoLeaders([a, b]);
    b.result = b.elector.run();
    await delay(1000);
    assert.equal(b.elector.isLeader(), false);

    const cutAt = performance.now();
    await proxy.close();
    assert.equal(await a.result, 'lost');
    const lostAfter = (a.stoppedAt ?? Infinity) - cutAt;
    // Slack for timers on a busy test machine; expiry for others comes only at 4 s.
    assert.ok(lostAfter <= timing.renewDeadlineMs + 1000, `stopped leading ${Math.round(lostAfter)} ms after the cut`);
    await waitFor('the standby leads', () => b.elector.isLeader(), 15_000);
    assert.ok((a.stoppedAt ?? Infinity) < (b.startedAt ?? 0), 'the old leader stopped before the new one started');
    assert.ok(
      (b.startedAt ?? 0) - cutAt >= timing.leaseDurationSeconds * 1000 - timing.renewDeadlineMs,
      'the standby waited for the unreleased Lease to expire',
    );
    guard.check();
    await b.elector.stop();
  });

  it('a leader whose Lease is taken over stops leading at its next renewal', async () => {
    const ns = await namespace('leader-stolen');
    const a = candidate(kube, ns, 'lifeboat', 'victim');
    a.result = a.elector.run();
    await waitFor('a leads', () => a.elector.isLeader());
    await rewriteLease(ns, 'lifeboat', (spec) => ({ ...spec, holderIdentity: 'intruder', leaseDurationSeconds: 60 }));
    const stolenAt = performance.now();
    assert.equal(await a.result, 'lost');
    const after = (a.stoppedAt ?? Infinity) - stolenAt;
    assert.ok(after < timing.retryPeriodMs + 1000, `stopped ${Math.round(after)} ms after the Lease was taken`);
    assert.equal(await holder(ns, 'lifeboat'), 'intruder', 'a lost leader does not write the Lease back');
  });

  it('steps down and releases when its work ends on its own', async () => {
    const ns = await namespace('leader-work-ends');
    const a = candidate(kube, ns, 'lifeboat', 'short-lived', async () => {
      await delay(300);
      throw new Error('the controller crashed');
    });
    assert.equal(await a.elector.run(), 'work-ended');
    assert.equal(a.elector.isLeader(), false);
    assert.equal(await holder(ns, 'lifeboat'), undefined);
  });
});

describe('WorkQueue with reflectors on the real API server', () => {
  it('converges a burst of changes, never reconciles one key twice at once, and writes only on difference', async () => {
    const ns = await namespace('workqueue-load');
    const registry = new Registry();
    const parents = new Reflector(kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      labelSelector: 'role=parent',
      resyncMs: 1500,
    });
    const children = new Reflector(kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      labelSelector: 'role=child',
    });
    const queue = new WorkQueue({ name: 'children', concurrency: 4, registry, baseDelayMs: 20 });
    cleanups.push(() => queue.shutdown());
    cleanups.push(() => parents.stop());
    cleanups.push(() => children.stop());
    parents.on((e) => queue.add(e.key));
    // A child's change (or deletion) wakes its parent, like an owner reference would.
    children.on((e) => queue.add(e.key.replace(/-child$/, '')));

    const inFlight = new Set<string>();
    let overlap = false;
    let reconciles = 0;
    let writes = 0;
    const writeLog: string[] = [];
    let failedOnce = false;
    queue.start(async (key) => {
      if (inFlight.has(key)) overlap = true;
      inFlight.add(key);
      reconciles++;
      try {
        const { namespace: keyNs = ns, name } = splitKey(key);
        if (name === 'p-7' && !failedOnce) {
          failedOnce = true;
          throw new Error('transient failure');
        }
        const parent = parents.get(key);
        const child = children.get(`${key}-child`);
        if (!parent) {
          if (child) {
            writes++;
            await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: `${name}-child`, namespace: keyNs });
          }
          return;
        }
        const desired = (parent.data as Record<string, string> | undefined)?.value ?? '';
        if ((child?.data as Record<string, string> | undefined)?.value === desired) return;
        writes++;
        writeLog.push(
          `${performance.now().toFixed(0)} ${key} ${child?.data ? JSON.stringify(child.data) : '-'} -> ${desired}`,
        );
        await kube.apply(configMap(keyNs, `${name}-child`, { value: desired }, { role: 'child' }));
      } finally {
        inFlight.delete(key);
      }
    });
    parents.start();
    children.start();
    await Promise.all([parents.waitForSync(), children.waitForSync()]);

    const names = Array.from({ length: 30 }, (_, i) => `p-${i}`);
    await Promise.all(names.map((n) => kube.apply(configMap(ns, n, { value: 'v1' }, { role: 'parent' }))));
    for (const version of ['v2', 'v3', 'v4']) {
      await Promise.all(names.map((n) => kube.apply(configMap(ns, n, { value: version }, { role: 'parent' }))));
    }
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'p-0', namespace: ns });
    const converged = () =>
      names.every((n) => {
        const child = children.get(`${ns}/${n}-child`);
        return n === 'p-0' ? child === undefined : (child?.data as Record<string, string> | undefined)?.value === 'v4';
      });
    await waitFor('every child matches its parent', converged, 30_000);
    await waitFor('the queue is idle', () => queue.depth === 0 && queue.active === 0);

    // Someone edits a child by hand: the child's watch event brings it back.
    const writesBeforeTamper = writes;
    await kube.apply(configMap(ns, 'p-3-child', { value: 'tampered' }, { role: 'child' }), { force: true });
    await waitFor(
      'drift repaired',
      () =>
        writes > writesBeforeTamper && (children.get(`${ns}/p-3-child`)?.data as { value?: string })?.value === 'v4',
    );
    await waitFor('the queue is idle', () => queue.depth === 0 && queue.active === 0);

    // Resync re-reconciles everything from the cache, and nothing differs: no writes.
    const writesBefore = writes;
    const resyncFrom = performance.now().toFixed(0);
    const reconcilesBefore = reconciles;
    await waitFor('a resync round', () => reconciles >= reconcilesBefore + 29, 10_000);
    await waitFor('the queue is idle', () => queue.depth === 0 && queue.active === 0);
    assert.equal(
      writes,
      writesBefore,
      `a resync of converged objects writes nothing:\n${writeLog.slice(-6).join('\n')}\nbefore resync at ${resyncFrom}`,
    );

    assert.equal(overlap, false, 'one key never ran twice at the same time');
    assert.ok(failedOnce);
    const text = await registry.metrics();
    assert.match(text, /workqueue_retries_total\{name="children"\} [1-9]/);
    assert.match(text, /workqueue_adds_total\{name="children"\} [1-9]/);
    assert.match(text, /workqueue_work_duration_seconds_count\{name="children"\} [1-9]/);
    // At most: 30 creates, 3 updates each, one delete, one repair (plus a retry's rewrite).
    assert.ok(writes <= 30 * 4 + 3, `${writes} writes`);
    await queue.shutdown();
  });
});

describe('InClusterConfig', () => {
  it('talks to the API server with a service-account token, as a pod does', async () => {
    const ns = await namespace('incluster');
    await kube.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'lifeboat', namespace: ns } });
    // A Role of its own: the aggregated `view` ClusterRole is empty without a controller-manager.
    await kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-configmaps', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    });
    await kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'lifeboat-read', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'lifeboat', namespace: ns }],
    });
    await kube.apply(configMap(ns, 'visible', { v: '1' }));
    const request = await kube.http.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${ns}/serviceaccounts/lifeboat/token`,
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } } },
    );
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-sa-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'token'), request.status.token);
    await writeFile(join(dir, 'ca.crt'), cp.caPem);
    await writeFile(join(dir, 'namespace'), ns);
    const { port } = new URL(cp.server);
    const config = new InClusterConfig({
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
      dir,
    });
    assert.equal(config.namespace, ns);
    const pod = new KubeClient(config);
    cleanups.push(() => pod.close());

    const names = (await pod.list('v1', 'ConfigMap', { namespace: ns })).map((c) => c.metadata.name);
    assert.ok(names.includes('visible'), names.join(', '));
    await assert.rejects(pod.list('v1', 'ConfigMap', { namespace: 'default' }), (error: unknown) => {
      const e = describeKubeError(error);
      assert.equal(e.status, 403);
      assert.match(e.message, new RegExp(`system:serviceaccount:${ns}:lifeboat`));
      return true;
    });
  });
});
