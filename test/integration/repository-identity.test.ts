/**
 * "Never fresh by accident", against repositories written by the real kopia and restic binaries (filesystem and a
 * real MinIO): each way of pointing lifeboat at the wrong place or at damaged metadata gives `lifeboat check` an
 * exact decision, cause and exit status. The admission side (through `lifeboat run`) is in restore-flow.test.ts and
 * repository-admission.test.ts.
 *
 * - an empty directory / an empty bucket prefix: unknown (repository-missing), fresh only with --first-install;
 * - a second valid repository where another was expected: unknown (repository-changed);
 * - snapshots written under another identity shape: unknown (identity-mismatch), naming the source;
 * - a damaged kopia.blobcfg or kopia.repository: unknown (corrupt), which the real kopia refuses as well, never
 *   wrong-password; a real wrong password stays wrong-password;
 * - a repository owned by another uid with kopia's 0600 files, read by a process of a different uid (setpriv):
 *   unknown (access-denied) with the remedy naming the pod's user/group settings.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type CliRun, runWithEnv } from '../support/cli.ts';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import { nodeForAnyUser } from '../support/node-for-any-user.ts';
import { createResticRepository, type ResticTestRepository } from '../support/restic.ts';
import { startS3Server } from '../support/s3server.ts';
import { binary, REPO_ROOT } from '../support/testenv.ts';

const run = promisify(execFile);
const PW = 'identity-test-password';
const NS = 'shop';

let repoA: KopiaTestRepository;
let repoB: KopiaTestRepository;
let drifted: KopiaTestRepository;
let restic: ResticTestRepository;
let scratch: string;

async function check(path: string, ...flags: string[]): Promise<CliRun & { json: Record<string, unknown> }> {
  const r = await runWithEnv(
    { KOPIA_PASSWORD: PW },
    'check',
    `${NS}/data`,
    '--backend',
    'kopia',
    '--repository',
    `filesystem://${path}`,
    ...flags,
  );
  return { ...r, json: JSON.parse(r.out) as Record<string, unknown> };
}

/** A copy of repository A to damage. */
async function copyOfA(name: string): Promise<string> {
  const target = join(scratch, name);
  await cp(repoA.repoPath ?? '', target, { recursive: true });
  return target;
}

/** Does the real kopia open the repository at `path`? (its own verdict on the damage) */
async function kopiaOpens(path: string): Promise<{ ok: boolean; output: string }> {
  const config = join(scratch, `kopia-${Math.random().toString(16).slice(2)}.config`);
  try {
    await run(binary('kopia'), ['repository', 'connect', 'filesystem', `--path=${path}`, `--config-file=${config}`], {
      env: { ...process.env, KOPIA_PASSWORD: PW, HOME: scratch, KOPIA_CHECK_FOR_UPDATES: 'false' },
    });
    return { ok: true, output: '' };
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'lifeboat-identity-'));
  repoA = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: PW });
  repoB = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: PW });
  drifted = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: PW });
  const dir = await makeSourceDir(repoA.root, 'data', { 'db.sqlite': 'v1' });
  await repoA.snapshot({ source: `data-backup@${NS}:/data`, dir, startTime: new Date('2026-11-20T02:00:00Z') });
  await repoB.snapshot({ source: `data-backup@${NS}:/data`, dir, startTime: new Date('2026-11-21T02:00:00Z') });
  // pvc-plumber v4's identity shape, read with the default template `{pvc}-backup@{namespace}:/data`.
  await drifted.snapshot({ source: `data@${NS}:/data`, dir, startTime: new Date('2026-11-22T02:00:00Z') });
  restic = await createResticRepository({
    version: 2,
    on: 'fs',
    password: PW,
    path: join(scratch, 'restic', NS, 'data'),
  });
  await restic.backup();
});

after(async () => {
  for (const r of [repoA, repoB, drifted]) await r?.cleanup();
  await restic?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('lifeboat check: missing repositories', () => {
  it('an empty directory: unknown (repository-missing), exit 2; fresh (exit 0) only with --first-install', async () => {
    const empty = join(scratch, 'empty');
    await mkdir(empty);
    const r = await check(empty);
    assert.equal(r.status, 2, r.err);
    assert.equal(r.json.decision, 'unknown');
    assert.equal(r.json.cause, 'repository-missing');
    const first = await check(empty, '--first-install');
    assert.equal(first.status, 0, first.err);
    assert.equal(first.json.decision, 'fresh');
    assert.equal(first.json.cause, 'repository-not-found');
  });

  it('an empty bucket prefix on S3: unknown (repository-missing), exit 2', async () => {
    const s3 = await startS3Server();
    const r = await runWithEnv(
      {
        KOPIA_PASSWORD: PW,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        KOPIA_S3_ENDPOINT: s3.endpoint.replace(/^http:\/\//, ''),
        KOPIA_S3_DISABLE_TLS: 'true',
        KOPIA_REPOSITORY: `s3://${s3.bucket}/no-repository-here`,
      },
      'check',
      `${NS}/data`,
      '--backend',
      'kopia',
    ).finally(() => s3.stop());
    assert.equal(r.status, 2, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.decision, 'unknown');
    assert.equal(out.cause, 'repository-missing');
    assert.match(out.message, /no-repository-here/);
  });

  it('restic: a PVC whose own repository does not exist yet is fresh (never backed up), exit 0', async () => {
    const r = await runWithEnv(
      { RESTIC_PASSWORD: PW },
      'check',
      `${NS}/brand-new`,
      '--backend',
      'restic',
      '--repository',
      `${join(scratch, 'restic')}/{namespace}/{pvc}`,
    );
    assert.equal(r.status, 0, r.err);
    assert.equal(JSON.parse(r.out).cause, 'repository-not-found');
  });
});

describe('lifeboat check and catalog: repository identity', () => {
  it('catalog prints the repository ID to copy; check reports it', async () => {
    const id = await repoA.uniqueId();
    const r = await runWithEnv(
      { KOPIA_PASSWORD: PW },
      'catalog',
      '--backend',
      'kopia',
      '--repository',
      `filesystem://${repoA.repoPath}`,
    );
    assert.equal(r.status, 0, r.err);
    assert.match(r.err, new RegExp(`repository filesystem://${repoA.repoPath}: ID ${id}`));
    assert.equal((await check(repoA.repoPath ?? '')).json.repositoryId, id);
  });

  it('a second valid repository where the first was expected: unknown (repository-changed), exit 2', async () => {
    const idA = await repoA.uniqueId();
    const idB = await repoB.uniqueId();
    assert.notEqual(idA, idB);
    const r = await check(repoB.repoPath ?? '', '--expected-id', idA);
    assert.equal(r.status, 2, r.err);
    assert.equal(r.json.decision, 'unknown');
    assert.equal(r.json.cause, 'repository-changed');
    assert.match(String(r.json.message), new RegExp(`has ID ${idB}, but repository.expectedId is ${idA}`));
    const right = await check(repoA.repoPath ?? '', '--expected-id', idA);
    assert.equal(right.status, 0, right.err);
    assert.equal(right.json.decision, 'restore');
  });
});

describe('lifeboat check and catalog: identity drift', () => {
  it('snapshots of the PVC under another identity shape: unknown (identity-mismatch) naming the source, exit 2', async () => {
    const r = await check(drifted.repoPath ?? '');
    assert.equal(r.status, 2, r.err);
    assert.equal(r.json.decision, 'unknown');
    assert.equal(r.json.cause, 'identity-mismatch');
    assert.match(String(r.json.message), /source data@shop:\/data \(1 snapshot\(s\), newest 2026-11-22T02:00:00/);
    assert.match(String(r.json.message), /set repository.identity/);
    // The template the movers used finds them.
    const fixed = await check(drifted.repoPath ?? '', '--identity', '{pvc}@{namespace}:/data');
    assert.equal(fixed.status, 0, fixed.err);
    assert.equal(fixed.json.decision, 'restore');
  });

  it('catalog lists the unmatched source with the PVC it likely belongs to', async () => {
    const r = await runWithEnv(
      { KOPIA_PASSWORD: PW },
      'catalog',
      '--backend',
      'kopia',
      '--repository',
      `filesystem://${drifted.repoPath}`,
      '--output',
      'json',
    );
    const out = JSON.parse(r.out) as { unmatched: { source: string; snapshots: number; likelyPvc?: string }[] };
    assert.deepEqual(
      out.unmatched.map((u) => [u.source, u.snapshots, u.likelyPvc]),
      [['data@shop:/data', 1, 'shop/data']],
    );
  });
});

describe('lifeboat check: damaged metadata', () => {
  it('a damaged kopia.blobcfg: unknown (corrupt) naming it, exit 2 — the real kopia refuses it too', async () => {
    const path = await copyOfA('blobcfg');
    const file = join(path, 'kopia.blobcfg.f');
    const bytes = await readFile(file);
    bytes[20] = (bytes[20] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    const r = await check(path);
    assert.equal(r.status, 2, r.err);
    assert.equal(r.json.cause, 'corrupt');
    assert.match(String(r.json.message), /kopia\.blobcfg/);
    assert.match(String(r.json.message), /do not rotate passwords/);
    const kopia = await kopiaOpens(path);
    assert.equal(kopia.ok, false, 'kopia itself must refuse this repository');
    assert.match(kopia.output, /blobcfg/);
  });

  it('a kopia.repository that is not JSON: unknown (corrupt), exit 2', async () => {
    const path = await copyOfA('format-json');
    const file = join(path, 'kopia.repository.f');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length / 2));
    const r = await check(path);
    assert.equal(r.status, 2, r.err);
    assert.equal(r.json.cause, 'corrupt');
    assert.equal((await kopiaOpens(path)).ok, false);
  });

  it('a damaged sealed config in kopia.repository: corrupt (the blobcfg proves the password), not wrong-password', async () => {
    const path = await copyOfA('format-sealed');
    const file = join(path, 'kopia.repository.f');
    const blob = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    const sealed = Buffer.from(blob.encryptedBlockFormat ?? '', 'base64');
    sealed[40] = (sealed[40] ?? 0) ^ 0x01;
    await writeFile(file, JSON.stringify({ ...blob, encryptedBlockFormat: sealed.toString('base64') }, null, 2));
    const r = await check(path);
    assert.equal(r.status, 2, r.err);
    assert.equal(r.json.cause, 'corrupt');
    assert.match(String(r.json.message), /kopia\.repository is damaged/);
  });

  it('a real wrong password on an intact repository stays wrong-password, exit 2', async () => {
    const r = await runWithEnv(
      { KOPIA_PASSWORD: 'not-the-password' },
      'check',
      `${NS}/data`,
      '--backend',
      'kopia',
      '--repository',
      `filesystem://${repoA.repoPath}`,
    );
    assert.equal(r.status, 2, r.err);
    assert.equal(JSON.parse(r.out).cause, 'wrong-password');
  });
});

describe('lifeboat check: a repository owned by another user', () => {
  it('kopia 0600 files of uid 568 read by uid 65532: unknown (access-denied) naming the pod user settings, exit 2', async () => {
    const path = await copyOfA('other-uid');
    // The movers' files as kopia wrote them: 0600 files, 0700 directories (kopia's defaults), owned by the mover.
    assert.equal((await stat(join(path, 'kopia.repository.f'))).mode & 0o777, 0o600);
    await run('chown', ['-R', '568:568', path]);
    // Only the repository's own modes stand in the way (temp directories are created 0700).
    await chmod(scratch, 0o755);
    const { node, dir: nodeDir, cleanup } = await nodeForAnyUser();
    try {
      const out = await run(
        'setpriv',
        [
          '--reuid=65532',
          '--regid=65532',
          '--clear-groups',
          node,
          join(REPO_ROOT, 'src/cli/main.ts'),
          'check',
          `${NS}/data`,
          '--backend',
          'kopia',
          '--repository',
          `filesystem://${path}`,
        ],
        { env: { PATH: '/usr/bin:/bin', HOME: nodeDir, KOPIA_PASSWORD: PW } },
      ).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '' }),
      );
      assert.equal(out.code, 2, out.stdout);
      const json = JSON.parse(out.stdout) as { decision: string; cause: string; message: string };
      assert.equal(json.decision, 'unknown');
      assert.equal(json.cause, 'access-denied');
      assert.match(json.message, /podSecurityContext\.runAsUser, runAsGroup, fsGroup, supplementalGroups/);
      assert.match(json.message, /docs\/install\.md/);
    } finally {
      await cleanup();
    }
  });
});
