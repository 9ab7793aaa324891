/**
 * List+watch of one kind into an in-memory store, the base of every lifeboat controller
 * (docs/design.md#api-server-overload: reconcile from a
 * cache fed by a watch, not by polling the API server).
 *
 * - Start: a paginated consistent list, then a watch from the list's resourceVersion with bookmarks, so a reconnect
 *   resumes where the stream stopped even when no object of this kind changed for a long time.
 * - Disconnects (server timeout, network error, silence): reconnect with jittered backoff from the last
 *   resourceVersion; the server replays what was missed.
 * - 410 Gone (that resourceVersion was compacted away): list again and emit, for what changed in between, the add,
 *   update and delete events the watch would have delivered.
 * - Resync: every `resyncMs` (default 10 min) re-emit every object as `resync`, so level-triggered reconcilers repair
 *   drift that no event announced. It reads the cache only; it costs the API server nothing.
 *
 * Memory: the store holds what `transform` returns. The default drops managedFields (often half of an object);
 * controllers that watch thousands of objects should keep only the fields they read. A transform must keep
 * `metadata.name`, `metadata.namespace` and `metadata.resourceVersion`.
 */
import { randomInt } from 'node:crypto';
import { type BackoffOptions, backoffDelay, sleep } from './backoff.ts';
import type { KubeClient, KubeListPage, KubeObject } from './client.ts';
import { formatKubeError, isGone } from './errors.ts';
import { type Logger, silentLogger } from './log.ts';
import { type ObjectStore, objectKey } from './store.ts';
import type { WatchEvent } from './transport.ts';

export type ReflectorEventType = 'add' | 'update' | 'delete' | 'resync';

export interface ReflectorEvent<T> {
  type: ReflectorEventType;
  key: string;
  /** The current object; for `delete`, its last known state. */
  object: T;
  /** For `update`: the object as it was in the store before. */
  old?: T;
}

export type ReflectorHandler<T> = (event: ReflectorEvent<T>) => void;

export interface ReflectorOptions<T extends KubeObject> {
  apiVersion: string;
  kind: string;
  /** Only this namespace; all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Ask the server for metadata only (PartialObjectMetadata): for knowing which objects exist without their contents
   * (a Secret's data, a Helm release) crossing the wire. Annotations still come along, and may carry contents (kubectl's
   * last-applied-configuration): keep only what is needed in `transform`. Objects are stored with `apiVersion` and
   * `kind` of the watched resource.
   */
  metadataOnly?: boolean;
  /**
   * How long without a word from the server before the store stops counting as current (`isCurrent`). A word is a
   * list, an event, a bookmark, or a watch the server ended at its timeout. Bookmarks are not to be relied on: the API
   * server sends them only while its watch cache sees changes of the kind, so a store that must stay current on a
   * quiet kind also sets a `watchTimeoutSeconds` below this limit. Default 90 s.
   */
  quietLimitMs?: number;
  /** Reduces each object before it is stored and emitted; default: drop managedFields. */
  transform?: (object: KubeObject) => T;
  /** Interval of `resync` events; 0 turns them off. Default 10 minutes. */
  resyncMs?: number;
  /** Objects per list page; default 500. */
  pageSize?: number;
  /** Server-side watch timeout; default a random 5–10 min, so that many watches do not reconnect in step. */
  watchTimeoutSeconds?: number;
  /** Reconnect/relist backoff; default 800 ms doubling to 30 s (client-go's reflector). */
  backoff?: BackoffOptions;
  logger?: Logger;
}

/** Counters of API calls and recoveries, for metrics and for tests that count API traffic. */
export interface ReflectorStats {
  /** Complete lists: the first, then one per relist. */
  lists: number;
  listPages: number;
  watches: number;
  /** Watches or lists that ended in 410 Gone and forced a relist. */
  expired: number;
  /** Lists and watches that ended with an error other than 410 (network, idle, server). */
  watchErrors: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 800, maxMs: 30_000 };

/**
 * The API server's PartialObjectMetadata forms (meta.k8s.io/v1), for metadata-only lists and watches; plain JSON
 * (whole objects) from a server that cannot, as client-go asks.
 */
const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const DEFAULT_QUIET_LIMIT_MS = 90_000;

/** The default transform: managedFields are large and nothing in a controller reads them from a cache. */
export function stripManagedFields(object: KubeObject): KubeObject {
  if (!object.metadata.managedFields) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata: metadata as KubeObject['metadata'] };
}

export class Reflector<T extends KubeObject = KubeObject> implements ObjectStore<T> {
  readonly stats: ReflectorStats = { lists: 0, listPages: 0, watches: 0, expired: 0, watchErrors: 0 };
  private readonly kube: KubeClient;
  private readonly opts: ReflectorOptions<T>;
  private readonly log: Logger;
  private readonly what: string;
  private readonly transform: (object: KubeObject) => T;
  private readonly handlers = new Set<ReflectorHandler<T>>();
  private store = new Map<string, T>();
  private lastResourceVersion: string | undefined;
  private synced = false;
  private failing = false;
  /** performance.now() of the last word from the server: a list, an event or bookmark, a watch ended on time. */
  private lastHeard = Number.NEGATIVE_INFINITY;
  private syncWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(kube: KubeClient, opts: ReflectorOptions<T>) {
    this.kube = kube;
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    const form = opts.metadataOnly ? ' (metadata)' : '';
    this.what = `${opts.kind}.${opts.apiVersion}${form}${opts.namespace ? ` in ${opts.namespace}` : ''}`;
    this.transform = opts.transform ?? (stripManagedFields as (object: KubeObject) => T);
  }

  /**
   * Subscribes to events; returns the unsubscribe function. Handlers run synchronously and should only enqueue. A
   * handler that joins a running reflector (a shared informer another consumer started) first gets an `add` for each
   * object already stored, as client-go's shared informers do, so it sees the same objects a first subscriber saw.
   */
  on(handler: ReflectorHandler<T>): () => void {
    this.handlers.add(handler);
    for (const [key, object] of this.store) this.deliver(handler, { type: 'add', key, object });
    return () => this.handlers.delete(handler);
  }

  start(): void {
    if (this.loop || this.abort.signal.aborted) return;
    this.loop = this.run();
    this.scheduleResync();
  }

  /** Ends the watch and every timer; resolves once nothing is running. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.resyncTimer);
    for (const waiter of this.syncWaiters.splice(0)) waiter.reject(new Error(`reflector for ${this.what} stopped`));
    await this.loop;
  }

  /** True once the first list has been stored and its events emitted. */
  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * Whether what the store lacks was created at most a watch delivery ago: synced, no list or watch failed since the
   * last one that worked, and the server spoke within `quietLimitMs`. A failure makes it false until the next list
   * completes or the next watch delivers; silence (a connection that died without closing, a server whose watch
   * stalled, or merely a quiet kind without a short `watchTimeoutSeconds`) makes it false until the server speaks.
   */
  isCurrent(): boolean {
    const quietLimit = this.opts.quietLimitMs ?? DEFAULT_QUIET_LIMIT_MS;
    return (
      this.synced && !this.failing && !this.abort.signal.aborted && performance.now() - this.lastHeard <= quietLimit
    );
  }

  waitForSync(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.abort.signal.aborted) return Promise.reject(new Error(`reflector for ${this.what} stopped`));
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const waiter = {
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (error: Error) => {
          cleanup();
          reject(error);
        },
      };
      const fail = (message: string) => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        waiter.reject(new Error(message));
      };
      const onAbort = () => fail(`waiting for ${this.what} to sync: aborted`);
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => fail(`${this.what} not synced within ${opts.timeoutMs} ms`), opts.timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(waiter);
    });
  }

  /** The resourceVersion the next watch resumes from. */
  get resourceVersion(): string | undefined {
    return this.lastResourceVersion;
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  keys(): string[] {
    return [...this.store.keys()];
  }

  get size(): number {
    return this.store.size;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const backoff = this.opts.backoff ?? DEFAULT_BACKOFF;
    let needList = true;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          // `failures` stays: only a watch that works proves health (a relist that is answered by another 410 at
          // once must back off, not loop on full lists).
          needList = false;
        }
        const opened = performance.now();
        let delivered = false;
        await this.watch(signal, () => {
          delivered = true;
          failures = 0;
          this.failing = false;
        });
        // Normally the server ends a watch at its timeout: resume at once. A watch that ends at once without a single
        // event is not healthy (a proxy closing streams, say): back off instead of spinning.
        if (!delivered && performance.now() - opened < 1000) {
          failures++;
          this.failing = true;
          this.stats.watchErrors++;
          await sleep(backoffDelay(failures, backoff), signal);
        } else {
          failures = 0;
          // The server ended the stream at its timeout: it was there, and this watch missed nothing.
          this.lastHeard = performance.now();
        }
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        this.failing = true;
        const gone = isGone(error);
        if (gone) {
          this.stats.expired++;
          needList = true;
          this.log.info('resourceVersion expired; relisting', { resource: this.what, error: formatKubeError(error) });
        } else {
          this.stats.watchErrors++;
          this.log.warn('list/watch failed; retrying', {
            resource: this.what,
            error: formatKubeError(error),
            failures,
          });
        }
        // The first 410 after a healthy stretch relists at once; anything repeated backs off.
        const delay = gone && failures === 1 ? 0 : backoffDelay(failures, backoff);
        await sleep(delay, signal);
      }
    }
  }

  /** Lists every page, swaps the store, and emits what differs from the previous store. */
  private async relist(signal: AbortSignal): Promise<void> {
    const { apiVersion, kind } = this.opts;
    const path = await this.kube.resources.collectionPath(apiVersion, kind, this.opts.namespace);
    const next = new Map<string, T>();
    let token: string | undefined;
    let resourceVersion: string | undefined;
    do {
      this.stats.listPages++;
      const page = await this.kube.http.request<KubeListPage<KubeObject>>('GET', path, {
        query: {
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          limit: this.opts.pageSize ?? 500,
          continue: token,
        },
        signal,
        ...(this.opts.metadataOnly ? { accept: METADATA_LIST_ACCEPT } : {}),
      });
      // An empty PartialObjectMetadataList says `items: null`.
      for (const item of page.items ?? []) {
        // List items come without apiVersion/kind; watch events carry them, so the store is uniform.
        const object = this.transform({ ...item, apiVersion, kind });
        next.set(objectKey(object), object);
      }
      token = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (token);
    if (signal.aborted) return;
    // Only a list that arrived whole counts: a failed one is a failure (watchErrors), retried.
    this.stats.lists++;

    const previous = this.store;
    this.store = next;
    this.lastResourceVersion = resourceVersion;
    this.failing = false;
    this.lastHeard = performance.now();
    const events: ReflectorEvent<T>[] = [];
    for (const [key, object] of next) {
      const old = previous.get(key);
      if (!old) events.push({ type: 'add', key, object });
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) {
        events.push({ type: 'update', key, object, old });
      }
    }
    for (const [key, old] of previous) if (!next.has(key)) events.push({ type: 'delete', key, object: old });
    if (this.synced) {
      this.log.info('relisted', { resource: this.what, objects: next.size, changed: events.length });
    }
    for (const event of events) this.emit(event);
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters.splice(0)) waiter.resolve();
    }
  }

  private async watch(signal: AbortSignal, onHealthy: () => void): Promise<void> {
    const path = await this.kube.resources.collectionPath(this.opts.apiVersion, this.opts.kind, this.opts.namespace);
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? randomInt(300, 601);
    this.stats.watches++;
    let first = true;
    await this.kube.http.watch(
      path,
      {
        resourceVersion: this.lastResourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      },
      (event) => {
        if (first) {
          first = false;
          onHealthy();
        }
        this.apply(event);
      },
      // The server ends the watch after timeoutSeconds; silence well past that means the connection is dead.
      {
        signal,
        idleTimeoutMs: timeoutSeconds * 1000 + 30_000,
        ...(this.opts.metadataOnly ? { accept: METADATA_ACCEPT } : {}),
      },
    );
  }

  private apply(event: WatchEvent): void {
    this.lastHeard = performance.now();
    const raw = event.object as KubeObject;
    const resourceVersion = raw.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (resourceVersion) this.lastResourceVersion = resourceVersion;
      return;
    }
    // A metadata-only watch's objects say `meta.k8s.io/v1 PartialObjectMetadata`: store them as what was watched.
    const apiVersion = this.opts.metadataOnly ? this.opts.apiVersion : (raw.apiVersion ?? this.opts.apiVersion);
    const object = this.transform({ ...raw, apiVersion, kind: this.opts.kind });
    const key = objectKey(object);
    const old = this.store.get(key);
    if (event.type === 'DELETED') {
      this.store.delete(key);
      this.lastResourceVersion = resourceVersion ?? this.lastResourceVersion;
      this.emit({ type: 'delete', key, object });
      return;
    }
    this.store.set(key, object);
    this.lastResourceVersion = resourceVersion ?? this.lastResourceVersion;
    this.emit(old ? { type: 'update', key, object, old } : { type: 'add', key, object });
  }

  private emit(event: ReflectorEvent<T>): void {
    for (const handler of this.handlers) this.deliver(handler, event);
  }

  private deliver(handler: ReflectorHandler<T>, event: ReflectorEvent<T>): void {
    try {
      handler(event);
    } catch (error) {
      // A broken handler must not break the watch (and with it every other handler's view).
      this.log.error('event handler failed', {
        resource: this.what,
        key: event.key,
        event: event.type,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private scheduleResync(): void {
    const every = this.opts.resyncMs ?? 600_000;
    if (every <= 0) return;
    this.resyncTimer = setTimeout(() => {
      if (this.abort.signal.aborted) return;
      if (this.synced) {
        for (const [key, object] of this.store) this.emit({ type: 'resync', key, object });
      }
      this.scheduleResync();
    }, every);
  }
}
