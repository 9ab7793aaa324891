/**
 * lifeboat's one small layer over the Kubernetes API: typed-enough object access, server-side apply under lifeboat's
 * field manager, and credentials from a kubeconfig or the in-cluster service account. Requests go through
 * `KubeTransport` (a deadline on each, the server's message in each error); paths come from API discovery, so any
 * served kind works, custom resources included.
 *
 * Nothing here loads @kubernetes/client-node's package index at import time: it costs ~80 MiB RSS and ~0.7 s, a large
 * share of the operator's memory budget. In a pod the operator talks with its service account alone
 * (`InClusterConfig`); only a kubeconfig file brings in the library, to support everything kubeconfigs can hold.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeKubeError, isGone, isNotFound } from './errors.ts';
import { InClusterConfig } from './incluster.ts';
import { KubeconfigError, mergeKubeconfigs, SimpleKubeConfig } from './kubeconfig.ts';
import { ResourceResolver } from './resources.ts';
import { type ConnectionConfig, KubeTransport } from './transport.ts';

export const FIELD_MANAGER = 'lifeboat';

/** The subset of a Kubernetes object every function here relies on. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string; operation?: string; subresource?: string; time?: string; fieldsV1?: unknown }[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * Credentials from a kubeconfig — `path`, else the files of $KUBECONFIG merged as kubectl merges them, else
 * ~/.kube/config — or, when there is none, the in-cluster service account. `context` overrides the current context.
 * Throws KubeconfigError saying where it looked when nothing usable is found.
 */
export function loadKubeConfig(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
  context?: string,
): ConnectionConfig {
  const defaultFile = join(homedir(), '.kube', 'config');
  let files: string[];
  if (path) {
    files = [path];
  } else if (env.KUBECONFIG) {
    const listed = env.KUBECONFIG.split(delimiter).filter(Boolean);
    // kubectl skips listed files that do not exist; it is an error only when none does.
    files = listed.filter((f) => existsSync(f));
    if (files.length === 0) {
      throw new KubeconfigError(
        `no kubeconfig found: $KUBECONFIG lists ${listed.join(', ')} and none of them exists; pass --kubeconfig <file>`,
      );
    }
  } else if (existsSync(defaultFile)) {
    files = [defaultFile];
  } else if (InClusterConfig.available(env) && !context) {
    return new InClusterConfig({ env });
  } else {
    throw new KubeconfigError(
      `no kubeconfig found: looked at --kubeconfig (not given), $KUBECONFIG (not set), ${defaultFile} (does not ` +
        'exist) and the in-cluster service account (not in a pod); pass --kubeconfig <file> or set KUBECONFIG',
    );
  }
  const merged = mergeKubeconfigs(files);
  // Plain kubeconfigs (certificates, tokens) need no library.
  const simple = SimpleKubeConfig.fromMerged(merged, context);
  if (simple) return simple;
  // Anything else (exec plugins, auth providers, proxies) goes to the library, loaded only then (require of an ES
  // module is synchronous in Node ≥ 22.12), so in-cluster runs and plain kubeconfigs never pay for it.
  const { KubeConfig: Config } = createRequire(import.meta.url)(
    '@kubernetes/client-node',
  ) as typeof import('@kubernetes/client-node');
  const kc: KubeConfig = new Config();
  // kubectl's merge: the first file to name a cluster, user or context wins (the library's own merge throws on a
  // name defined twice), and the first current-context wins.
  for (const file of files) {
    const one = new Config();
    one.loadFromFile(file);
    if (!kc.getCurrentContext() && one.getCurrentContext()) kc.setCurrentContext(one.getCurrentContext());
    for (const c of one.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
    for (const u of one.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
    for (const x of one.getContexts()) if (!kc.getContextObject(x.name)) kc.addContext(x);
  }
  if (context) kc.setCurrentContext(context);
  const cluster = kc.getCurrentCluster();
  // The library refuses plain http:// at the first request with a message about skipTLSVerify; say it here instead.
  if (cluster?.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new KubeconfigError(
      `kubeconfig cluster "${cluster.name}" uses plain ${cluster.server} with a credential plugin or proxy: ` +
        'use its https:// address (credentials must not travel in clear text)',
    );
  }
  return kc;
}

export interface KubeListPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export class KubeClient {
  readonly config: ConnectionConfig;
  readonly fieldManager: string;
  readonly http: KubeTransport;
  readonly resources: ResourceResolver;

  /** `config`: a client-node KubeConfig, an `InClusterConfig`, or what `loadKubeConfig` returns. */
  constructor(config: ConnectionConfig, fieldManager = FIELD_MANAGER, opts: { timeoutMs?: number } = {}) {
    this.config = config;
    this.fieldManager = fieldManager;
    this.http = new KubeTransport(config, opts);
    this.resources = new ResourceResolver(this.http);
  }

  /**
   * Server-side apply: the object states every field lifeboat owns; fields it stops stating are removed, fields other
   * managers own are left alone. `force` takes over conflicting fields (only for objects lifeboat owns).
   */
  async apply<T extends KubeObject>(
    obj: T,
    opts: { force?: boolean; dryRun?: boolean; fieldManager?: string } = {},
  ): Promise<T> {
    const body = { ...obj, metadata: { ...obj.metadata } };
    delete body.metadata.managedFields;
    delete body.metadata.resourceVersion;
    const path = await this.resources.objectPath(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
    return await this.http.request<T>('PATCH', path, {
      query: {
        fieldManager: opts.fieldManager ?? this.fieldManager,
        force: opts.force ?? false,
        dryRun: opts.dryRun ? 'All' : undefined,
      },
      // JSON is YAML: the apply content type takes the object as it is.
      contentType: 'application/apply-patch+yaml',
      body,
    });
  }

  /** Creates; fails with 409 AlreadyExists when the name is taken (never touches an existing object). */
  async create<T extends KubeObject>(obj: T): Promise<T> {
    const path = await this.resources.collectionPath(obj.apiVersion, obj.kind, obj.metadata.namespace);
    return await this.http.request<T>('POST', path, { query: { fieldManager: this.fieldManager }, body: obj });
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.http.request<T>(
        'GET',
        await this.resources.objectPath(ref.apiVersion, ref.kind, ref.name, ref.namespace),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<T[]> {
    const path = await this.resources.collectionPath(apiVersion, kind, opts.namespace);
    for (;;) {
      const items: T[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await this.http.request<KubeListPage<T>>('GET', path, {
            query: {
              labelSelector: opts.labelSelector,
              fieldSelector: opts.fieldSelector,
              limit: 500,
              continue: token,
            },
          });
          // List items come without apiVersion/kind; restore them so items can be applied or deleted as they are.
          for (const item of page.items) items.push({ ...item, apiVersion, kind });
          token = page.metadata?.continue || undefined;
        } while (token);
        return items;
      } catch (error) {
        // The continue token outlived etcd's history: the pages no longer form one snapshot, so start over.
        if (token && isGone(error)) continue;
        throw error;
      }
    }
  }

  /** Deletes; `false` when it was already gone. */
  async delete(ref: ObjectRef, opts: { uid?: string; resourceVersion?: string } = {}): Promise<boolean> {
    try {
      await this.http.request(
        'DELETE',
        await this.resources.objectPath(ref.apiVersion, ref.kind, ref.name, ref.namespace),
        {
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            propagationPolicy: 'Background',
            // A uid precondition makes sure we delete the object we looked at, not a successor with the same name.
            // A resourceVersion precondition also refuses when the object changed since it was read (409 Conflict).
            ...(opts.uid || opts.resourceVersion
              ? {
                  preconditions: {
                    ...(opts.uid ? { uid: opts.uid } : {}),
                    ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}),
                  },
                }
              : {}),
          },
        },
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Closes pooled connections; in-flight requests and watches end on their own signals. */
  close(): void {
    this.http.close();
  }
}

export { describeKubeError };
