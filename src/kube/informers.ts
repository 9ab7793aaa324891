/**
 * The process's one cache of the cluster (controller-runtime's shared informer cache): each watched selection — a
 * kind, namespace and label/field selector — is listed and watched once per process, and every consumer that asks
 * for it gets the same Reflector. Two consumers building their own reflectors of one resource would double the API
 * server's list and watch load and the process's memory (docs/design.md#api-server-overload).
 *
 * Informers start when the cache starts, or at once when asked for later: a component that only the leader runs
 * asks for its informers when it starts, so a follower never lists what only the leader reads. They run until the
 * cache stops; a consumer that stops only unsubscribes its handlers.
 */
import type { KubeClient, KubeObject } from './client.ts';
import { type Logger, silentLogger } from './log.ts';
import { Reflector, type ReflectorOptions, type ReflectorStats } from './reflector.ts';

/** What to watch and what to keep of each object: the options a shared informer is built from. */
export type InformerSpec<T extends KubeObject = KubeObject> = Pick<
  ReflectorOptions<T>,
  | 'apiVersion'
  | 'kind'
  | 'namespace'
  | 'labelSelector'
  | 'fieldSelector'
  | 'metadataOnly'
  | 'transform'
  | 'resyncMs'
  | 'watchTimeoutSeconds'
>;

export function informerKey(spec: InformerSpec<KubeObject>): string {
  const where = spec.namespace ? ` in ${spec.namespace}` : '';
  const selectors = [spec.labelSelector, spec.fieldSelector].filter(Boolean).join(';');
  const form = spec.metadataOnly ? ' (metadata)' : '';
  return `${spec.kind}.${spec.apiVersion}${form}${where}${selectors ? ` [${selectors}]` : ''}`;
}

/** One object by name, watched through a field selector on its namespace (a Secret lifeboat reads or writes by name). */
export function namedInformer(ref: {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}): InformerSpec {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    namespace: ref.namespace,
    fieldSelector: `metadata.name=${ref.name}`,
    resyncMs: 0,
  };
}

/** One informer's objects and API calls (`key`: informerKey of its spec). */
export interface InformerStats extends ReflectorStats {
  key: string;
  objects: number;
}

interface Entry {
  spec: InformerSpec<KubeObject>;
  reflector: Reflector<KubeObject>;
}

export class InformerCache {
  readonly #kube: KubeClient;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  #started = false;
  #stopped = false;

  constructor(kube: KubeClient, opts: { logger?: Logger } = {}) {
    this.#kube = kube;
    this.#log = opts.logger ?? silentLogger;
  }

  /**
   * The shared informer of `spec`. Asking twice for one selection with a different transform or resync is a
   * programming error (the two consumers would disagree on what the cache holds): it throws, naming the selection.
   */
  informer<T extends KubeObject = KubeObject>(spec: InformerSpec<T>): Reflector<T> {
    const key = informerKey(spec as InformerSpec<KubeObject>);
    const existing = this.#entries.get(key);
    if (existing) {
      if (existing.spec.transform !== spec.transform || existing.spec.resyncMs !== spec.resyncMs) {
        throw new Error(
          `${key} is already cached with a different transform or resync: share one informer spec for it`,
        );
      }
      return existing.reflector as unknown as Reflector<T>;
    }
    if (this.#stopped) throw new Error(`the informer cache is stopped: cannot watch ${key}`);
    const reflector = new Reflector<T>(this.#kube, { ...spec, logger: this.#log });
    this.#entries.set(key, {
      spec: spec as InformerSpec<KubeObject>,
      reflector: reflector as unknown as Reflector<KubeObject>,
    });
    if (this.#started) reflector.start();
    return reflector;
  }

  /**
   * The informer of `spec` when some consumer already asked for it, without creating one: a reader that may use a
   * cache another component keeps (admission reads Namespaces the leader's controller watches) but must not make
   * every replica watch what only the leader needs.
   */
  existing<T extends KubeObject = KubeObject>(spec: InformerSpec<T>): Reflector<T> | undefined {
    return this.#entries.get(informerKey(spec as InformerSpec<KubeObject>))?.reflector as Reflector<T> | undefined;
  }

  /** Starts every informer asked for so far, and every later one as it is asked for. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const { reflector } of this.#entries.values()) reflector.start();
  }

  /** The selections cached now (for readiness: which of them have synced). */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Whether the informer of `key` has finished its first list; undefined when nothing asked for it. */
  hasSynced(key: string): boolean | undefined {
    return this.#entries.get(key)?.reflector.hasSynced();
  }

  /**
   * Each informer's objects and the API calls behind them (lists, pages, watches, relists): the cache's cost in the
   * process's memory and at the API server, served as metrics (cache-metrics.ts).
   */
  stats(): InformerStats[] {
    return [...this.#entries].map(([key, { reflector }]) => ({ key, objects: reflector.size, ...reflector.stats }));
  }

  /** Ends every watch; resolves once none is running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#entries.values()].map(({ reflector }) => reflector.stop()));
  }
}
