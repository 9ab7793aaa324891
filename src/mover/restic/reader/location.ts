/**
 * restic repository locations (`RESTIC_REPOSITORY`, restic's design document, doc/design.rst) and lifeboat's per-PVC
 * templates.
 *
 * Parsing follows restic's own rules (`internal/backend/s3/config.go`, `internal/backend/location`):
 * - `/abs/path` or `local:/abs/path` → filesystem;
 * - `s3:http://host[:port]/bucket[/prefix]`, `s3:https://…` → endpoint from the URL, first path segment = bucket;
 * - `s3:host[:port]/bucket[/prefix]` and `s3://host/bucket/prefix` → the first segment is always the endpoint host,
 *   reached over https (so `s3://volsync/ns-pvc` means host `volsync`, bucket `ns-pvc`, exactly as restic reads it);
 * - the prefix is cleaned like Go's `path.Clean`.
 * Other restic backends are refused by name. No message ever repeats the raw value: `rest:` and URL forms can carry
 * credentials.
 *
 * A template is a location with `{namespace}` and `{pvc}` placeholders
 * (`s3:http://minio:9000/volsync/{namespace}/{pvc}`,
 * `/mnt/backups/{namespace}-{pvc}`). Its base — everything up to the last `/` before the first placeholder — is the
 * fixed directory or bucket+prefix under which every PVC's repository lives; the rest is a pattern matched against
 * the path of a repository found below the base to recover (namespace, pvc).
 */
import { posix } from 'node:path';
import { renderTemplate } from '../../../template.ts';

export type ResticLocation =
  | { backend: 'local'; path: string }
  | {
      backend: 's3';
      /** `http://host:port` or `https://host[:port]`. */
      endpoint: string;
      bucket: string;
      /** Cleaned key prefix without leading or trailing slash; '' for the bucket root. */
      prefix: string;
    };

export type LocationErrorCode = 'invalid' | 'unsupported-backend';

export class LocationError extends Error {
  override readonly name = 'LocationError';
  readonly code: LocationErrorCode;
  constructor(code: LocationErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

const UNSUPPORTED_BACKENDS = ['b2', 'azure', 'gs', 'rclone', 'rest', 'sftp', 'swift', 'opendal'];

export function parseResticLocation(value: string): ResticLocation {
  const text = value.trim();
  if (text.startsWith('local:')) return local(text.slice('local:'.length));
  if (text.startsWith('s3:')) return s3(text);
  const scheme = /^([a-z0-9]+):/.exec(text)?.[1];
  if (scheme && UNSUPPORTED_BACKENDS.includes(scheme)) {
    throw new LocationError(
      'unsupported-backend',
      `restic backend '${scheme}:' is not supported: lifeboat reads local/NFS paths and S3-compatible storage`,
    );
  }
  return local(text);
}

/** restic's own spelling of a location (no credentials are ever part of it). */
export function formatResticLocation(location: ResticLocation): string {
  if (location.backend === 'local') return location.path;
  const prefix = location.prefix === '' ? '' : `/${location.prefix}`;
  return `s3:${location.endpoint}/${location.bucket}${prefix}`;
}

function local(path: string): ResticLocation {
  if (!path.startsWith('/')) {
    throw new LocationError(
      'invalid',
      'a filesystem repository must be an absolute path (e.g. /mnt/backups/ns-pvc); other restic backends than ' +
        'local and s3 are not supported',
    );
  }
  return { backend: 'local', path: cleanPath(path) };
}

function s3(text: string): ResticLocation {
  let endpoint: string;
  let rest: string;
  const url = /^s3:(https?):\/\/([^/]*)(?:\/(.*))?$/s.exec(text);
  if (url) {
    // Split by hand rather than with WHATWG URL, which would resolve `..` in the path and read a different bucket
    // than restic (Go's url.Parse keeps the path as written).
    const [, scheme, host = '', path = ''] = url;
    if (host.includes('@')) {
      throw new LocationError(
        'invalid',
        'the s3: repository URL contains credentials: remove them and set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY',
      );
    }
    endpoint = endpointOf(scheme as string, host);
    if (/[?#]/.test(path)) throw new LocationError('invalid', 'the s3: repository URL must not have a query');
    try {
      rest = decodeURIComponent(path);
    } catch {
      throw new LocationError('invalid', 'the s3: repository URL has a malformed %-escape in its path');
    }
  } else {
    // `s3:host/bucket/prefix` and `s3://host/bucket/prefix`: the first segment is the endpoint, always https.
    const body = text.startsWith('s3://') ? text.slice('s3://'.length) : text.slice('s3:'.length);
    const slash = body.indexOf('/');
    const host = slash < 0 ? body : body.slice(0, slash);
    rest = slash < 0 ? '' : body.slice(slash + 1);
    if (host.includes('@')) {
      throw new LocationError('invalid', 'the s3: repository location contains credentials: use AWS_* variables');
    }
    endpoint = endpointOf('https', host);
  }
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const rawPrefix = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw new LocationError('invalid', 'the s3: repository location names no bucket');
  return { backend: 's3', endpoint, bucket, prefix: cleanPrefix(rawPrefix) };
}

/** `scheme://host[:port]` normalised (lower case, default port dropped); refuses anything that is not a host. */
function endpointOf(scheme: string, host: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) {
    throw new LocationError('invalid', 'the s3: repository location has no valid endpoint host before the bucket');
  }
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    throw new LocationError('invalid', 'the s3: repository location has no valid endpoint host before the bucket');
  }
}

/** Go `path.Clean` for an S3 prefix, refusing what would leave or hide the bucket. */
function cleanPrefix(prefix: string): string {
  if (prefix === '') return '';
  const cleaned = posix.normalize(prefix).replace(/\/+$/, '');
  if (cleaned === '.' || cleaned === '') return '';
  if (cleaned.startsWith('/') || cleaned === '..' || cleaned.startsWith('../')) {
    throw new LocationError('invalid', 'the s3: repository prefix must be relative to the bucket and stay inside it');
  }
  return cleaned;
}

function cleanPath(path: string): string {
  const cleaned = posix.normalize(path);
  return cleaned.length > 1 ? cleaned.replace(/\/+$/, '') : cleaned;
}

// ---------------------------------------------------------------------------------------------------------------
// Templates

export interface PvcRef {
  namespace: string;
  pvc: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const PVC = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

type Token = { literal: string } | { placeholder: keyof PvcRef };

export interface ResticTemplate {
  readonly template: string;
  /** The fixed location every repository of the template lives under (a directory, or a bucket and prefix). */
  readonly base: ResticLocation;
  /** How many path segments the repository root lies below the base (for walking the base one level at a time). */
  readonly depth: number;
  /** The repository location of one PVC. */
  render(ref: PvcRef): ResticLocation;
  /**
   * Every (namespace, pvc) that renders to `location`; [] when it is not one of the template's repositories.
   * Usually one; several when the template is ambiguous (`{namespace}-{pvc}` with dashes in the names), and the
   * caller disambiguates with the namespaces that exist.
   */
  match(location: ResticLocation): PvcRef[];
  /** Like `match`, for a path relative to the base (`team-a/db` for `…/{namespace}/{pvc}`). */
  matchRelative(relativePath: string): PvcRef[];
  /** Whether a directory name at `level` (0 = directly below the base) can be part of a repository path. */
  segmentMayMatch(level: number, name: string): boolean;
}

/** Validates a template and splits it into base and pattern. Throws LocationError. */
export function parseResticTemplate(template: string): ResticTemplate {
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) {
    throw new LocationError('invalid', 'the repository template has an unmatched { or }');
  }
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
  for (const name of names) {
    if (name !== 'namespace' && name !== 'pvc') {
      throw new LocationError(
        'invalid',
        `unknown placeholder {${name}} in the repository template: use {namespace} and {pvc}`,
      );
    }
  }
  if (!names.includes('namespace') || !names.includes('pvc')) {
    throw new LocationError(
      'invalid',
      'the repository template needs both {namespace} and {pvc}: every PVC must have its own repository',
    );
  }
  const first = template.indexOf('{');
  const cut = template.lastIndexOf('/', first);
  const baseText = template.slice(0, cut + 1);
  if (
    baseText.startsWith('s3:') &&
    baseText
      .replace(/^s3:(https?:\/\/|\/\/)?/, '')
      .split('/')
      .filter(Boolean).length < 2
  ) {
    throw new LocationError(
      'invalid',
      'the repository template must fix the endpoint and the bucket: placeholders may only appear in the prefix',
    );
  }
  const base = parseResticLocation(baseText);
  const pattern = template
    .slice(cut + 1)
    .replace(/\/+$/, '')
    .replace(/\/{2,}/g, '/');
  const tokens = tokenize(pattern);
  const segments = pattern.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new LocationError('invalid', 'the repository template has an empty, "." or ".." path segment after its base');
  }
  const segmentPatterns = segments.map(
    (segment) =>
      new RegExp(
        `^${segment
          .split(PLACEHOLDER)
          .map((part, i) => (i % 2 === 1 ? '[a-z0-9.-]+' : escapeRegExp(part)))
          .join('')}$`,
      ),
  );

  const render = (ref: PvcRef): ResticLocation => {
    assertRef(ref);
    return parseResticLocation(renderTemplate(template, ref));
  };
  const matchRelative = (relativePath: string): PvcRef[] => {
    const found: PvcRef[] = [];
    for (const ref of matchTokens(tokens, 0, relativePath, {})) {
      if (ref.namespace !== undefined && ref.pvc !== undefined) {
        const candidate = { namespace: ref.namespace, pvc: ref.pvc };
        if (isValidRef(candidate) && !found.some((f) => f.namespace === ref.namespace && f.pvc === ref.pvc)) {
          found.push(candidate);
        }
      }
    }
    return found;
  };
  return {
    template,
    base,
    depth: segments.length,
    render,
    matchRelative,
    match(location: ResticLocation): PvcRef[] {
      const relative = relativeTo(base, location);
      return relative === undefined ? [] : matchRelative(relative);
    },
    segmentMayMatch(level: number, name: string): boolean {
      return segmentPatterns[level]?.test(name) ?? false;
    },
  };
}

/** The path of `location` below `base`, or undefined when it is not below it. */
function relativeTo(base: ResticLocation, location: ResticLocation): string | undefined {
  if (base.backend === 'local' && location.backend === 'local') {
    const root = base.path === '/' ? '/' : `${base.path}/`;
    return location.path.startsWith(root) ? location.path.slice(root.length) : undefined;
  }
  if (base.backend === 's3' && location.backend === 's3') {
    if (base.endpoint !== location.endpoint || base.bucket !== location.bucket) return undefined;
    if (base.prefix === '') return location.prefix === '' ? undefined : location.prefix;
    return location.prefix.startsWith(`${base.prefix}/`) ? location.prefix.slice(base.prefix.length + 1) : undefined;
  }
  return undefined;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  pattern.split(PLACEHOLDER).forEach((part, i) => {
    if (i % 2 === 1) tokens.push({ placeholder: part as keyof PvcRef });
    else if (part !== '') tokens.push({ literal: part });
  });
  return tokens;
}

/** All assignments of the placeholders that make `tokens` spell `text` (backtracking; names never contain '/'). */
function* matchTokens(
  tokens: Token[],
  index: number,
  text: string,
  bound: Partial<PvcRef>,
): Generator<Partial<PvcRef>> {
  const token = tokens[index];
  if (token === undefined) {
    if (text === '') yield bound;
    return;
  }
  if ('literal' in token) {
    if (text.startsWith(token.literal)) yield* matchTokens(tokens, index + 1, text.slice(token.literal.length), bound);
    return;
  }
  const name = token.placeholder;
  const already = bound[name];
  if (already !== undefined) {
    if (text.startsWith(already)) yield* matchTokens(tokens, index + 1, text.slice(already.length), bound);
    return;
  }
  const limit = text.indexOf('/') < 0 ? text.length : text.indexOf('/');
  for (let end = 1; end <= limit; end++) {
    yield* matchTokens(tokens, index + 1, text.slice(end), { ...bound, [name]: text.slice(0, end) });
  }
}

function isValidRef(ref: PvcRef): boolean {
  return NAMESPACE.test(ref.namespace) && ref.pvc.length <= 253 && PVC.test(ref.pvc);
}

function assertRef(ref: PvcRef): void {
  if (!NAMESPACE.test(ref.namespace)) {
    throw new LocationError('invalid', `'${ref.namespace}' is not a valid Kubernetes namespace name`);
  }
  if (ref.pvc.length > 253 || !PVC.test(ref.pvc)) {
    throw new LocationError('invalid', `'${ref.pvc}' is not a valid PersistentVolumeClaim name`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
