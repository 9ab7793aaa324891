/**
 * Locates the real components `testenv/build.sh` builds and caches outside the repository, keyed by version.
 * Tests call these; they never download or build anything themselves.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
/** `../shared/crds` beside the repository (not copied into it). Override with LIFEBOAT_CRDS_DIR. */
export const CRDS_DIR = process.env.LIFEBOAT_CRDS_DIR ?? join(REPO_ROOT, '..', 'shared', 'crds');

export type Component = 'etcd' | 'kube-apiserver' | 'kopia' | 'restic' | 'minio' | 'helm' | 'promtool';

const VERSION_KEYS: Record<Component, string> = {
  etcd: 'ETCD_VERSION',
  'kube-apiserver': 'KUBERNETES_VERSION',
  kopia: 'KOPIA_VERSION',
  restic: 'RESTIC_VERSION',
  minio: 'MINIO_VERSION',
  helm: 'HELM_VERSION',
  promtool: 'PROMTOOL_VERSION',
};

function versions(): Record<string, string> {
  const text = readFileSync(join(REPO_ROOT, 'testenv', 'versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(\S+)/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

export function cacheDir(): string {
  return process.env.LIFEBOAT_TESTENV_CACHE ?? join(homedir(), '.cache', 'lifeboat-testenv');
}

export function componentVersion(name: Component): string {
  const v = versions()[VERSION_KEYS[name]];
  if (!v) throw new Error(`testenv/versions.env has no ${VERSION_KEYS[name]}`);
  return v;
}

/** Absolute path of a built component; throws with the fix when it has not been built yet. */
export function binary(name: Component): string {
  const path = join(cacheDir(), 'bin', `${name}-${componentVersion(name)}`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${name} ${componentVersion(name)} is not built at ${path}: run \`npm run testenv\` first`);
  }
  return path;
}

/**
 * Paths of the real node's components (test/support/realnode.ts): binaries, image tars and their references, as
 * `testenv/build.sh --locate` names them (it computes the keys of the project's own programs and images, and builds
 * nothing). Throws with the fix when one is missing.
 */
export function nodeComponents(): Record<string, string> {
  const out = execFileSync('bash', [join(REPO_ROOT, 'testenv', 'build.sh'), '--locate'], { encoding: 'utf8' });
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const [name, path] = [line.slice(0, eq), line.slice(eq + 1)];
    found[name] = path;
    // helm and promtool are listed too but are not the node's: binary() finds them and names the fix when one is missing.
    if (!name.endsWith('-ref') && name !== 'helm' && name !== 'promtool' && !existsSync(path)) missing.push(name);
  }
  if (missing.length) {
    throw new Error(`real-node components not built: ${missing.join(', ')}. Run \`npm run testenv\` first.`);
  }
  return found;
}
