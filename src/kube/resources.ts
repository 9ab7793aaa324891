/**
 * apiVersion + kind → REST path, through API discovery. Any served kind works, custom resources included; answers are
 * cached per apiVersion, and a miss refetches once (a CRD may have been installed since).
 */
import { isNotFound } from './errors.ts';
import type { KubeTransport } from './transport.ts';

export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  /** The plural resource name used in paths, e.g. `persistentvolumeclaims`. */
  plural: string;
  namespaced: boolean;
}

interface APIResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function apiVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export class ResourceResolver {
  private readonly transport: KubeTransport;
  private readonly cache = new Map<string, Map<string, ResourceInfo>>();

  constructor(transport: KubeTransport) {
    this.transport = transport;
  }

  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const cached = this.cache.get(apiVersion)?.get(kind);
    if (cached) return cached;
    let list: APIResourceList;
    try {
      list = await this.transport.request<APIResourceList>('GET', apiVersionPath(apiVersion));
    } catch (error) {
      if (isNotFound(error)) throw new Error(`the API server does not serve ${apiVersion}`);
      throw error;
    }
    const byKind = new Map<string, ResourceInfo>();
    for (const r of list.resources ?? []) {
      // Subresources (`pods/status`) share the kind of their parent; only the parent has a path of its own.
      if (r.name.includes('/')) continue;
      byKind.set(r.kind, { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced });
    }
    this.cache.set(apiVersion, byKind);
    const info = byKind.get(kind);
    if (!info) throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
    return info;
  }

  /** The collection: one namespace, or all namespaces when `namespace` is undefined. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const info = await this.resolve(apiVersion, kind);
    if (namespace !== undefined && !info.namespaced) {
      throw new Error(`${kind} (${apiVersion}) is cluster-scoped; it has no namespace ${namespace}`);
    }
    if (info.namespaced && namespace !== undefined) {
      return `${apiVersionPath(apiVersion)}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`;
    }
    return `${apiVersionPath(apiVersion)}/${info.plural}`;
  }

  async objectPath(apiVersion: string, kind: string, name: string, namespace?: string): Promise<string> {
    const info = await this.resolve(apiVersion, kind);
    if (info.namespaced && !namespace) throw new Error(`${kind} ${name}: a namespace is required`);
    return `${await this.collectionPath(apiVersion, kind, info.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
  }
}
