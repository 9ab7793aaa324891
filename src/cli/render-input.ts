/**
 * Input of `lifeboat render`: manifest files, directories and stdin, parsed as multi-document YAML into the
 * Namespaces, PVCs and Secrets render needs. Everything else (Deployments, the lifeboat config itself, …) is ignored.
 */
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { formatYamlError } from '../config/yaml-errors.ts';
import type { Namespace, PersistentVolumeClaim } from '../intent/resources.ts';

/** A problem with the input (unreadable file, broken YAML, malformed manifest); render exits 2 with its message. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

export interface Source {
  /** File path, or `-` for stdin. */
  path: string;
  text: string;
}

/** A Secret manifest reduced to its data, base64 values as in `.data` (`stringData` is encoded on the way in). */
export interface SecretManifest {
  namespace: string;
  name: string;
  data: Record<string, string>;
}

export interface Manifests {
  pvcs: PersistentVolumeClaim[];
  namespaces: Map<string, Namespace>;
  /** Secrets by `namespace/name`. */
  secrets: Map<string, SecretManifest>;
  /** Inputs (files, `-`) that hold no Kubernetes object at all: a script or an empty file given by mistake. */
  withoutObjects: string[];
}

const MANIFEST_FILE = /\.ya?ml$/;

/** Reads every `-f` argument: files as given, directories recursively (`*.yaml`, `*.yml`, sorted), `-` from stdin. */
export async function readSources(paths: readonly string[], readStdin: () => Promise<string>): Promise<Source[]> {
  const sources: Source[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ path, text: await readStdin() });
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (error) {
      throw new InputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const files = isDirectory
      ? readdirSync(path, { recursive: true, encoding: 'utf8' })
          .filter((f) => MANIFEST_FILE.test(f) && statSync(join(path, f)).isFile())
          .sort()
          .map((f) => join(path, f))
      : [path];
    if (isDirectory && files.length === 0) throw new InputError(`${path} holds no *.yaml or *.yml files`);
    for (const file of files) sources.push({ path: file, text: readFileSync(file, 'utf8') });
  }
  return sources;
}

/**
 * Collects Namespaces, PVCs and Secrets (also inside `kind: List`). PVCs without `metadata.namespace` get
 * `defaultNamespace`, as `kubectl apply` would. A PVC listed twice is an error: which one would be meant?
 */
export function parseManifests(sources: readonly Source[], defaultNamespace: string): Manifests {
  const out: Manifests = { pvcs: [], namespaces: new Map(), secrets: new Map(), withoutObjects: [] };
  const seen = new Map<string, string>();
  for (const source of sources) {
    let objects = 0;
    for (const [index, doc] of parseAllDocuments(source.text).entries()) {
      const where = `${source.path}: document ${index + 1}`;
      const syntax = doc.errors[0];
      if (syntax) throw new InputError(formatYamlError(source.path, syntax));
      for (const object of flatten(doc.toJS() as unknown)) {
        const kind = object.kind;
        if (typeof object.apiVersion === 'string' && typeof kind === 'string') objects++;
        if (
          object.apiVersion !== 'v1' ||
          (kind !== 'Namespace' && kind !== 'PersistentVolumeClaim' && kind !== 'Secret')
        ) {
          continue;
        }
        const metadata = object.metadata;
        if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
          throw new InputError(`${where}: ${kind} has no metadata.name`);
        }
        const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : defaultNamespace;
        if (kind === 'Namespace') {
          out.namespaces.set(metadata.name, object as unknown as Namespace);
        } else if (kind === 'Secret') {
          out.secrets.set(`${namespace}/${metadata.name}`, {
            namespace,
            name: metadata.name,
            data: secretData(object),
          });
        } else {
          const key = `${namespace}/${metadata.name}`;
          const first = seen.get(key);
          if (first)
            throw new InputError(`PersistentVolumeClaim ${key} appears twice (${first} and ${where}); keep one`);
          seen.set(key, where);
          const pvc = object as unknown as PersistentVolumeClaim;
          out.pvcs.push({ ...pvc, metadata: { ...pvc.metadata, namespace } });
        }
      }
    }
    if (objects === 0) out.withoutObjects.push(source.path);
  }
  return out;
}

/** A document's objects: itself, or the items of a `kind: List` (`kubectl get -o yaml`). */
function flatten(value: unknown): Record<string, unknown>[] {
  if (!isRecord(value)) return [];
  if (value.kind === 'List' && Array.isArray(value.items)) return value.items.filter(isRecord);
  return [value];
}

function secretData(secret: Record<string, unknown>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(isRecord(secret.data) ? secret.data : {})) data[key] = String(value);
  for (const [key, value] of Object.entries(isRecord(secret.stringData) ? secret.stringData : {})) {
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  }
  return data;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
