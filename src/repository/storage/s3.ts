/**
 * BlobStorage over any S3-compatible endpoint (AWS, MinIO, RustFS, Ceph RGW, Garage, R2, ...).
 *
 * - Path-style addressing by default: MinIO and IP endpoints have no per-bucket DNS names.
 * - The SDK's flexible checksums stay off unless an operation requires them: newer SDKs otherwise add CRC headers
 *   and validate response checksums that many S3 implementations do not produce.
 * - Credentials live only inside the SDK client: `location`, error messages and `child()` never carry them, and any
 *   server message echoed into an error is scrubbed of them.
 * - Failures become StorageErrors with the codes readers rely on; "key missing" is `undefined` only when the server
 *   said NoSuchKey, so a missing bucket, a 403 or a strange 404 is never mistaken for "no backup".
 */

import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { GetObjectCommandOutput, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { nodeHttp } from '../../node-http.ts';
import { raceAbort } from '../abort.ts';
import { type BlobInfo, type BlobStorage, type ByteRange, StorageError, type StorageErrorCode } from './storage.ts';

/** The AWS SDK, loaded on first use (./s3-sdk.ts says why). */
type Sdk = typeof import('./s3-sdk.ts');
let sdk: Promise<Sdk> | undefined;
function loadSdk(): Promise<Sdk> {
  sdk ??= import('./s3-sdk.ts');
  return sdk;
}

export interface S3StorageConfig {
  /** `http://host:port` or `https://host[:port]`; no path, no credentials. */
  endpoint: string;
  bucket: string;
  /** Key prefix inside the bucket (`volsync/ns/pvc`); leading and trailing slashes are ignored. Default ''. */
  prefix?: string;
  /** Default `us-east-1`, which MinIO and most S3-compatible servers accept. */
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** PEM of a CA to trust in addition to the public roots (a self-signed MinIO certificate, a private CA). */
  caPem?: string;
  /** Default true: `http://host/bucket/key`. Set false only for AWS virtual-hosted buckets that need it. */
  forcePathStyle?: boolean;
  /** Upper bound for one HTTP request, connection included, in milliseconds. Default 10000. */
  requestTimeoutMs?: number;
  /** Attempts per operation including the first (SDK standard retry with jittered backoff). Default 2. */
  maxAttempts?: number;
  /** Concurrent connections per storage client. Default 32. */
  maxSockets?: number;
}

/** Node errno / TLS codes that mean "could not talk to the server at all". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'EPROTO',
]);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;
const DENIED_NAMES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
]);

interface Secrets {
  values: string[];
}

export class S3Storage implements BlobStorage {
  readonly location: string;
  readonly endpoint: string;
  readonly bucket: string;
  /** Normalised key prefix without leading or trailing slash ('' for the bucket root). */
  readonly prefix: string;
  private readonly client: Promise<S3Client>;
  private readonly keyPrefix: string;
  private readonly secrets: Secrets;
  private readonly ownsClient: boolean;

  constructor(config: S3StorageConfig);
  /** @internal used by child(): shares the client (and its connection pool) with the parent. */
  constructor(config: S3StorageConfig, shared: { client: Promise<S3Client>; secrets: Secrets });
  constructor(config: S3StorageConfig, shared?: { client: Promise<S3Client>; secrets: Secrets }) {
    this.endpoint = validateEndpoint(config.endpoint);
    if (!config.bucket || config.bucket.includes('/')) {
      throw new Error(`S3 bucket name '${config.bucket}' is invalid: it must be non-empty and contain no '/'`);
    }
    this.bucket = config.bucket;
    this.prefix = (config.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.keyPrefix = this.prefix === '' ? '' : `${this.prefix}/`;
    this.location = `s3:${this.endpoint}/${this.bucket}/${this.keyPrefix}`;
    this.secrets = shared?.secrets ?? {
      values: [config.accessKeyId, config.secretAccessKey, config.sessionToken ?? ''].filter((v) => v.length >= 4),
    };
    this.ownsClient = shared === undefined;
    this.client = shared?.client ?? createClient(this.endpoint, config);
    // Failures surface where the client is awaited; this only keeps an unused storage from an unhandled rejection.
    this.client.catch(() => {});
  }

  /** A storage for `path` below this prefix that shares the client and its connections (walking a template). */
  child(path: string): S3Storage {
    const prefix = [this.prefix, path.replace(/^\/+|\/+$/g, '')].filter((p) => p !== '').join('/');
    // Credentials are not needed again: the shared client already holds them.
    return new S3Storage(
      { endpoint: this.endpoint, bucket: this.bucket, prefix, accessKeyId: '', secretAccessKey: '' },
      { client: this.client, secrets: this.secrets },
    );
  }

  /** Closes the connection pool. Only the storage that created the client closes it; children are no-ops. */
  destroy(): void {
    if (this.ownsClient) void this.client.then((c) => c.destroy()).catch(() => {});
  }

  async list(prefix: string, signal?: AbortSignal): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    await this.paginate(prefix, undefined, signal, (page) => {
      for (const object of page.Contents ?? []) {
        const key = this.relative(object.Key);
        // Zero-byte "folder" markers some tools create are not blobs.
        if (key === undefined || key.endsWith('/')) continue;
        out.push({ key, size: object.Size ?? 0 });
      }
    });
    return out;
  }

  async listKeys(prefix: string, signal?: AbortSignal): Promise<string[]> {
    return (await this.list(prefix, signal)).map((info) => info.key);
  }

  /** Names of the "directories" (common prefixes) directly below `prefix` (`volsync/` or ''), for discovery. */
  async listDirectories(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const dir = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    const out: string[] = [];
    await this.paginate(dir, '/', signal, (page) => {
      for (const common of page.CommonPrefixes ?? []) {
        const key = this.relative(common.Prefix);
        if (key === undefined) continue;
        const name = key.slice(dir.length).replace(/\/$/, '');
        if (name !== '') out.push(name);
      }
    });
    return out;
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    if (range !== undefined && range.length <= 0) return new Uint8Array(0);
    let response: GetObjectCommandOutput;
    try {
      const [client, s3] = await Promise.all([this.client, loadSdk()]);
      response = await client.send(
        new s3.GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyPrefix + key,
          ...(range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (nameOf(error) === 'NoSuchKey') return undefined;
      // A range that starts past the end: the bytes that exist there are none (the filesystem storage agrees).
      if (range && statusOf(error) === 416) return new Uint8Array(0);
      throw this.failure(error, signal, 'read', key);
    }
    const body = response.Body;
    if (!body) return new Uint8Array(0);
    let bytes: Uint8Array;
    try {
      bytes = await raceAbort(body.transformToByteArray(), signal, {
        onAbort: () => {
          if ('destroy' in body && typeof body.destroy === 'function') body.destroy();
        },
      });
    } catch (error) {
      throw this.failure(error, signal, 'read', key);
    }
    // A server that ignores Range answers 200 with the whole object: cut the range out ourselves.
    if (range && response.ContentRange === undefined && response.$metadata.httpStatusCode === 200) {
      return bytes.subarray(range.offset, range.offset + range.length);
    }
    return bytes;
  }

  private async paginate(
    prefix: string,
    delimiter: string | undefined,
    signal: AbortSignal | undefined,
    onPage: (page: ListObjectsV2CommandOutput) => void,
  ): Promise<void> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        const [client, s3] = await Promise.all([this.client, loadSdk()]);
        page = await client.send(
          new s3.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyPrefix + prefix,
            ...(delimiter ? { Delimiter: delimiter } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (error) {
        throw this.failure(error, signal, 'list', prefix);
      }
      onPage(page);
      if (page.IsTruncated && !page.NextContinuationToken) {
        throw new StorageError(
          'io',
          this.location,
          `list ${prefix}: the server said the listing is truncated but gave no continuation token`,
        );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** The key relative to the prefix, or undefined for a key outside it (a misbehaving server). */
  private relative(fullKey: string | undefined): string | undefined {
    if (fullKey === undefined || !fullKey.startsWith(this.keyPrefix)) return undefined;
    return fullKey.slice(this.keyPrefix.length);
  }

  private failure(error: unknown, signal: AbortSignal | undefined, what: string, key: string): StorageError {
    const name = nameOf(error);
    const status = statusOf(error);
    const errno = codeOf(error);
    const said = this.scrub(error instanceof Error ? error.message : String(error));
    const subject = `${what} ${key === '' ? '(root)' : key}`;
    const make = (code: StorageErrorCode, message: string) =>
      new StorageError(code, this.location, `${subject}: ${message}`, { cause: error });
    if (signal?.aborted || name === 'AbortError') {
      return make('timeout', 'cancelled: the deadline passed before the S3 server answered');
    }
    if (name === 'NoSuchBucket') {
      return make(
        'no-such-bucket',
        `bucket '${this.bucket}' does not exist at ${this.endpoint}: check the bucket in the repository URL`,
      );
    }
    if (status === 401 || status === 403 || DENIED_NAMES.has(name)) {
      return make(
        'access-denied',
        `access denied (${name || `HTTP ${status}`}): check the access key, secret and the key's policy for this bucket and prefix`,
      );
    }
    if (UNREACHABLE_CODES.has(errno) || TLS_CODE.test(errno)) {
      const tls = TLS_CODE.test(errno) || errno === 'EPROTO';
      return make(
        'unreachable',
        `cannot reach ${this.endpoint} (${errno}): ${
          tls ? 'TLS failed; check the scheme (http/https) and the CA certificate' : 'check the endpoint host and port'
        }`,
      );
    }
    if (name === 'TimeoutError' || errno === 'ETIMEDOUT') {
      return make('timeout', `no answer from ${this.endpoint} in time: ${said}`);
    }
    if (status === 404) {
      return make(
        'io',
        `HTTP 404 without an S3 error code (${name || 'none'}): is ${this.endpoint} an S3 endpoint and is path-style addressing right?`,
      );
    }
    const detail = status ? `HTTP ${status} ${name}` : name || errno || 'error';
    return make('io', `${detail}: ${said}`);
  }

  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets.values) out = out.split(secret).join('***');
    return out;
  }
}

async function createClient(endpoint: string, config: S3StorageConfig): Promise<S3Client> {
  const maxSockets = config.maxSockets ?? 32;
  const requestTimeout = config.requestTimeoutMs ?? 10_000;
  const s3 = await loadSdk();
  return new s3.S3Client({
    endpoint,
    region: config.region || 'us-east-1',
    forcePathStyle: config.forcePathStyle ?? true,
    credentials: {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: config.maxAttempts ?? 2,
    requestHandler: new s3.NodeHttpHandler({
      connectionTimeout: requestTimeout,
      requestTimeout,
      throwOnRequestTimeout: true,
      httpAgent: new nodeHttp.Agent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({
        keepAlive: true,
        maxSockets,
        ...(config.caPem ? { ca: [...rootCertificates, config.caPem] } : {}),
      }),
    }),
  });
}

function validateEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error('S3 endpoint is not a URL: expected http://host:port or https://host[:port]');
  }
  if (url.username || url.password) {
    throw new Error('S3 endpoint must not contain credentials: pass the access key and secret separately');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`S3 endpoint scheme '${url.protocol}' is not supported: use http:// or https://`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(`S3 endpoint ${url.origin} must not have a path or query: put the bucket and prefix elsewhere`);
  }
  return url.origin;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : '';
}
