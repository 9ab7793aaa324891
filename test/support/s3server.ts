/**
 * A real MinIO server for tests: `startS3Server()` runs `binary('minio')` on a free 127.0.0.1 port with a fresh temp
 * data directory, waits until it is ready, creates a bucket and returns how to reach it. `stop()` ends the process
 * and removes the directory.
 *
 * ```ts
 * const s3 = await startS3Server();           // or startS3Server({ bucket: 'kopia', tls: true })
 * t.after(() => s3.stop());
 * // s3.endpoint 'http://127.0.0.1:PORT', s3.bucket, s3.accessKeyId, s3.secretAccessKey, s3.region
 * await s3.createBucket('another');
 * ```
 *
 * No process outlives the test: the server is started through `startProcess` (test/support/processes.ts), i.e. under
 * `setpriv --pdeathsig KILL`, so the kernel kills it even when the test runner is SIGKILLed, and a process 'exit' hook
 * plus `stop()` end it on every normal path. MinIO listens on 127.0.0.1 only (API and console), with the browser,
 * update checks and call-home disabled, and a HOME inside the temp directory.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, type Managed, startProcess, waitUntil } from './processes.ts';
import { binary } from './testenv.ts';

export interface S3ServerOptions {
  /** Bucket created before returning. Default 'lifeboat-test'. */
  bucket?: string;
  /** Serve https with a fresh self-signed certificate for 127.0.0.1 (see `caPem`). Needs the openssl CLI. */
  tls?: boolean;
  /** Address to listen on (default 127.0.0.1), e.g. a real node's address so that its Pods reach the server. */
  host?: string;
  /** How long to wait for readiness. Default 60 s (a cold first start on a busy machine is slow). */
  startTimeoutMs?: number;
}

export interface S3Server {
  /** `http://127.0.0.1:PORT` (or https with `tls`). */
  endpoint: string;
  port: number;
  /** MinIO's own pid (setpriv execs it), e.g. to SIGSTOP it as storage that stops answering; stop() ends it anyway. */
  pid: number;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  bucket: string;
  /** PEM of the server certificate (self-signed, so it is its own CA) when started with `tls`. */
  caPem?: string;
  /** A client with the server's credentials (path-style, no flexible checksums). Destroyed by stop(). */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Kills the server and removes its data. Safe to call twice. */
  stop(): Promise<void>;
}

/** Fixed test credentials: MinIO's root user. Never used outside 127.0.0.1. */
export const S3_TEST_ACCESS_KEY = 'lifeboat-test-access';
export const S3_TEST_SECRET_KEY = 'lifeboat-test-secret-0123456789';
export const S3_TEST_REGION = 'us-east-1';

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const minio = binary('minio');
  sweepOrphanedDirs();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  const certsDir = join(dir, 'certs');
  mkdirSync(join(dir, 'data'));
  mkdirSync(certsDir);
  let caPem: string | undefined;
  if (options.tls) caPem = selfSignedCertificate(certsDir);
  const scheme = options.tls ? 'https' : 'http';
  const host = options.host ?? '127.0.0.1';

  let server: Managed | undefined;
  let port = 0;
  try {
    // A port can be taken between freePort() and MinIO's bind: retry a few times with fresh ports.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const consolePort = await freePort();
      server = startProcess(
        'minio',
        minio,
        [
          'server',
          '--quiet',
          '--address',
          `${host}:${port}`,
          '--console-address',
          `${host}:${consolePort}`,
          '--certs-dir',
          certsDir,
          join(dir, 'data'),
        ],
        {
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: dir,
            TZ: 'UTC',
            MINIO_ROOT_USER: S3_TEST_ACCESS_KEY,
            MINIO_ROOT_PASSWORD: S3_TEST_SECRET_KEY,
            MINIO_BROWSER: 'off',
            MINIO_UPDATE: 'off',
            MINIO_CALLHOME_ENABLE: 'off',
          },
          logFile: join(dir, 'minio.log'),
        },
      );
      try {
        await waitUntil(`MinIO on ${host}:${port}`, () => ready(scheme, port, caPem, host), {
          timeoutMs: options.startTimeoutMs ?? 60_000,
          intervalMs: 100,
          process: server,
        });
        break;
      } catch (error) {
        await server.stop(0);
        const portTaken = /address already in use/i.test(server.tail());
        if (!portTaken || attempt >= 3) throw error;
      }
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const endpoint = `${scheme}://${host}:${port}`;
  const client = testClient(endpoint, caPem);
  const running = server;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await running.stop(2000);
    rmSync(dir, { recursive: true, force: true });
  };
  // stop() is the normal path; this covers a test process that exits without calling it.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

  const createBucket = async (name: string) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  const bucket = options.bucket ?? 'lifeboat-test';
  try {
    await createBucket(bucket);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    port,
    pid: running.pid,
    accessKeyId: S3_TEST_ACCESS_KEY,
    secretAccessKey: S3_TEST_SECRET_KEY,
    region: S3_TEST_REGION,
    bucket,
    ...(caPem ? { caPem } : {}),
    client,
    createBucket,
    stop,
  };
}

const DIR_PREFIX = 'lifeboat-minio-';
const OWNER_FILE = 'owner.pid';

/**
 * Removes data directories left by test processes that were killed (SIGKILL skips every exit hook; the kernel still
 * kills their MinIO through pdeathsig). A directory is orphaned when the process named in its owner file is gone.
 */
function sweepOrphanedDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue; // being created right now, or not ours
    }
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function testClient(endpoint: string, caPem: string | undefined): S3Client {
  return new S3Client({
    endpoint,
    region: S3_TEST_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_TEST_ACCESS_KEY, secretAccessKey: S3_TEST_SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(caPem ? { requestHandler: { httpsAgent: { ca: caPem } } } : {}),
  });
}

/** MinIO's readiness probe answers 200 once it serves requests. */
function ready(scheme: string, port: number, caPem: string | undefined, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = scheme === 'https' ? httpsRequest : httpRequest;
    const req = request(
      {
        host,
        port,
        path: '/minio/health/ready',
        method: 'GET',
        timeout: 1000,
        ...(caPem ? { ca: caPem } : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Writes public.crt / private.key for 127.0.0.1 into MinIO's certs dir; returns the certificate PEM. */
function selfSignedCertificate(certsDir: string): string {
  const crt = join(certsDir, 'public.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=lifeboat-test-minio',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(certsDir, 'private.key'),
      '-out',
      crt,
    ],
    { stdio: 'pipe' },
  );
  return readFileSync(crt, 'utf8');
}
