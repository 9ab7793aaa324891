/**
 * "Never fresh by accident" at the admission side: the real `lifeboat run` process on a real kube-apiserver,
 * answering labelled PVC CREATEs from repositories written by the real kopia and restic binaries (filesystem and a
 * real MinIO). Each block starts its own `lifeboat run` (own lifeboat namespace, so its Secret, Lease and recorded
 * repository identities are its own) and checks what the API server returns for a CREATE:
 *
 * - kopia files of uid 568 (0600 files, 0700 directories, as the movers write them) and lifeboat running as 65532
 *   (setpriv): denied `access-denied` with the remedy naming the chart's podSecurityContext values; the same
 *   repository read by lifeboat running as 568: restored;
 * - kopia on an S3 prefix that holds no repository: denied `repository-missing`; with `repository.firstInstall: true`:
 *   admitted empty (fresh);
 * - restic on MinIO that stops answering (SIGSTOP): a new PVC's first CREATE is denied by lifeboat itself, inside
 *   the webhook's deadline, with the catalog's `timeout` (its bounded read) or the handler's `decision-timeout`,
 *   never admitted empty; once MinIO answers again (SIGCONT), the PVC with a repository is restored and the one
 *   without is fresh;
 * - restic on a filesystem: a PVC's repository replaced by another `restic init` at the same place → denied
 *   `repository-changed` with the confirmation command, released by that command; the location root emptied while
 *   repositories were recorded → a new PVC is denied `repository-missing`, and fresh again once they are back.
 *
 * `lifeboat check` against the same kinds of repositories: repository-identity.test.ts. Nothing else runs in this
 * cluster (no VolSync, no populator): the tests look only at what admission decided.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  cp as copyDir,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { describeKubeError } from '../../src/kube/errors.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { eventually } from '../support/eventually.ts';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import {
  assertChangeAwaitsConfirmation,
  type LifeboatRunOptions,
  startLifeboatRun,
  stopLifeboatRun,
} from '../support/lifeboat-run.ts';
import { type NodeForAnyUser, nodeForAnyUser } from '../support/node-for-any-user.ts';
import { freePort } from '../support/processes.ts';
import { createResticRepository, type ResticTestRepository } from '../support/restic.ts';
import { type S3Server, startS3Server } from '../support/s3server.ts';

const run = promisify(execFile);
const PW = 'admission-identity-password';
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** The movers' user in the seeds (and the chart's default podSecurityContext); lifeboat's image user. */
const MOVER = { uid: 568, gid: 568 };
const IMAGE_USER = { uid: 65532, gid: 65532 };

let cp: ControlPlane;
let kube: KubeClient;
let s3: S3Server;
let scratch: string;
let node: NodeForAnyUser;
let lifeboat: ChildProcess | undefined;
let log = { text: '' };
let ports = { ops: 0, webhook: 0 };
let paused = false;
const kopiaRepos: KopiaTestRepository[] = [];
const resticRepos: ResticTestRepository[] = [];

type Pvc = KubeObject & { spec: { dataSourceRef?: { name: string } } };

async function namespace(name: string) {
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, annotations: { 'volsync.backube/privileged-movers': 'true' } },
  });
}

async function secret(ns: string, data: Record<string, string>) {
  await kube.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'lifeboat-repository', namespace: ns },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    },
    { force: true },
  );
}

async function createPvc(ns: string, name: string): Promise<Pvc> {
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', ns);
  return await kube.http.request<Pvc>('POST', path, {
    body: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns, labels: { backup: 'daily' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  });
}

/** One CREATE: the admitted PVC, or the API server's refusal (status and message). */
async function tryCreate(ns: string, name: string): Promise<{ pvc: Pvc } | { status: number; message: string }> {
  try {
    return { pvc: await createPvc(ns, name) };
  } catch (error) {
    const e = describeKubeError(error);
    return { status: e.status ?? 0, message: e.message };
  }
}

/** One CREATE that lifeboat must deny: its message (fails the test when the PVC was admitted). */
async function denied(ns: string, name: string): Promise<string> {
  const out = await tryCreate(ns, name);
  if ('pvc' in out) assert.fail(`${ns}/${name} was admitted (dataSourceRef ${JSON.stringify(out.pvc.spec)})`);
  assert.equal(out.status, 403, out.message);
  return out.message;
}

/** lifeboat's own answer for a PVC (`/exists`, the decision admission makes), polled until `cause` is reached. */
async function answers(ns: string, pvc: string, cause: string, timeoutMs = 30_000) {
  return await eventually(
    `/exists/${ns}/${pvc} answers ${cause}`,
    async () => {
      const body = (await (await fetch(`http://127.0.0.1:${ports.ops}/exists/${ns}/${pvc}`)).json()) as {
        decision: string;
        cause: string;
        message: string;
      };
      return body.cause === cause ? body : undefined;
    },
    timeoutMs,
  );
}

/**
 * Starts `lifeboat run` with lifeboat namespace `ns` and `configYaml` after it; as `runAs` when given (then the
 * config, the kubeconfig and node are made readable for that user).
 */
async function startLifeboat(ns: string, configYaml: string, runAs?: LifeboatRunOptions['runAs']) {
  // Never two at once: a run left by a failed test would keep answering (and registering) in its place.
  await stopLifeboat();
  log = { text: '' };
  ports = { ops: await freePort(), webhook: await freePort() };
  const dir = join(scratch, `run-${ns}-${runAs?.uid ?? 0}`);
  await mkdir(dir, { recursive: true });
  const kubeconfig = join(dir, 'kubeconfig');
  await copyFile(cp.kubeconfigPath, kubeconfig);
  if (runAs) await chown(kubeconfig, runAs.uid, runAs.gid);
  lifeboat = await startLifeboatRun({
    configPath: join(dir, 'config.yaml'),
    configYaml: `namespace: ${ns}\n${configYaml}`,
    kubeconfig,
    ports,
    kube,
    log,
    ...(runAs ? { runAs, node: node.node } : {}),
  });
}

/** Stops `lifeboat run`, checks that its process is gone, and removes its webhooks for the next block's run. */
async function stopLifeboat() {
  if (!kube) return;
  const child = lifeboat;
  lifeboat = undefined;
  await stopLifeboatRun(child);
  if (child?.pid) assert.equal(existsSync(`/proc/${child.pid}`), false, `lifeboat run ${child.pid} still exists`);
  for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
    await kube.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind, name: 'lifeboat' }).catch(() => {});
  }
}

/** The effective uid of a running process (from /proc). */
async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1]);
}

function resumeStorage() {
  if (paused) process.kill(s3.pid, 'SIGCONT');
  paused = false;
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'lifeboat-admission-identity-'));
  // Other users (setpriv) reach what lies below; the repositories' own modes are what a test is about.
  await chmod(scratch, 0o755);
  node = await nodeForAnyUser();
  cp = await startControlPlane({ crds: 'kopia-fork' });
  kube = new KubeClient(cp.kubeConfig);
  s3 = await startS3Server();
});

after(async () => {
  await stopLifeboat();
  resumeStorage();
  kube?.close();
  await cp?.stop();
  await s3?.stop();
  for (const r of kopiaRepos) await r.cleanup();
  for (const r of resticRepos) await r.cleanup();
  await node?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('kopia repository owned by the movers’ user: access-denied, then restored as that user', () => {
  const LB = 'lb-uid';
  const APPS = 'uid-apps';
  let path: string;

  before(async () => {
    const repo = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: PW });
    kopiaRepos.push(repo);
    const dir = await makeSourceDir(repo.root, 'data', { 'db.sqlite': 'v1' });
    await repo.snapshot({ source: `data-backup@${APPS}:/data`, dir, startTime: new Date('2026-11-20T02:00:00Z') });
    // The movers' files as kopia writes them (0600 files, 0700 directories), owned by the movers' user.
    path = join(scratch, 'owned-by-568');
    await copyDir(repo.repoPath ?? '', path, { recursive: true });
    assert.equal((await stat(join(path, 'kopia.repository.f'))).mode & 0o777, 0o600);
    assert.equal((await stat(path)).mode & 0o777, 0o700);
    await run('chown', ['-R', `${MOVER.uid}:${MOVER.gid}`, path]);
    for (const ns of [LB, APPS]) await namespace(ns);
    await secret(LB, { KOPIA_PASSWORD: PW, KOPIA_REPOSITORY: `filesystem://${path}` });
  });

  after(stopLifeboat);

  it('lifeboat running as 65532 denies the CREATE: access-denied, naming podSecurityContext', async () => {
    await startLifeboat(LB, 'catalog: { refreshInterval: 1s, staleAfter: 4s }\n', IMAGE_USER);
    assert.equal(await uidOf(lifeboat?.pid ?? -1), IMAGE_USER.uid, 'lifeboat runs as the image user');
    const message = await denied(APPS, 'data');
    assert.match(message, /access-denied: reading filesystem:\/\/.*owned-by-568 failed/);
    assert.match(message, /podSecurityContext\.runAsUser, runAsGroup, fsGroup, supplementalGroups/);
    assert.match(message, /docs\/install\.md/);
    // The process started under setpriv (pid = lifeboat's own) stops on SIGTERM from the test and is gone.
    await stopLifeboat();
  });

  it('the same repository read by lifeboat running as 568 (the chart default): restored', async () => {
    await startLifeboat(LB, 'catalog: { refreshInterval: 1s, staleAfter: 4s }\n', MOVER);
    assert.equal(await uidOf(lifeboat?.pid ?? -1), MOVER.uid);
    const pvc = await createPvc(APPS, 'data');
    assert.match(pvc.spec.dataSourceRef?.name ?? '', /^data-restore-/, JSON.stringify(pvc.spec));
  });
});

describe('kopia on an S3 prefix that holds no repository', () => {
  const LB = 'lb-s3';
  const APPS = 's3-apps';

  before(async () => {
    for (const ns of [LB, APPS]) await namespace(ns);
    await secret(LB, {
      KOPIA_PASSWORD: PW,
      KOPIA_REPOSITORY: `s3://${s3.bucket}/no-repository-here`,
      KOPIA_S3_ENDPOINT: s3.endpoint.replace(/^http:\/\//, ''),
      KOPIA_S3_DISABLE_TLS: 'true',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
  });

  after(stopLifeboat);

  it('denied as repository-missing, naming the prefix', async () => {
    await startLifeboat(LB, 'catalog: { refreshInterval: 1s, staleAfter: 4s }\n');
    const message = await denied(APPS, 'data');
    assert.match(message, /repository-missing: no repository exists at .*no-repository-here.* no first installation/);
    assert.match(message, /repository\.firstInstall: true/);
  });

  it('with repository.firstInstall: true → admitted fresh, and /audit reports the flag in effect', async () => {
    await startLifeboat(LB, 'catalog: { refreshInterval: 1s, staleAfter: 4s }\nrepository: { firstInstall: true }\n');
    const pvc = await createPvc(APPS, 'data');
    assert.equal(pvc.spec.dataSourceRef, undefined, 'fresh: binds empty');
    const audit = await eventually('the leader serves /audit', async () => {
      const res = await fetch(`http://127.0.0.1:${ports.ops}/audit`);
      return res.ok ? ((await res.json()) as { repository?: { firstInstall?: string } }) : undefined;
    });
    assert.equal(audit.repository?.firstInstall, 'in-effect');
  });
});

describe('restic on MinIO that stops answering: a new PVC’s first CREATE is never fresh', () => {
  const LB = 'lb-stop';
  const prefix = 'restic-stop';

  before(async () => {
    for (const ns of [LB, 'stop-old', 'stop-moved', 'stop-new']) await namespace(ns);
    const old = await createResticRepository({
      version: 2,
      on: 's3',
      server: s3,
      password: PW,
      path: `${prefix}/stop-old/data`,
    });
    resticRepos.push(old);
    await old.backup();
    await secret(LB, {
      RESTIC_PASSWORD: PW,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
    // One refresh at start, the next an hour away: every later PVC is read on demand by its first CREATE.
    await startLifeboat(
      LB,
      `repository: { backend: restic, url: "s3:${s3.endpoint}/${s3.bucket}/${prefix}/{namespace}/{pvc}" }\n` +
        'catalog: { refreshInterval: 1h, staleAfter: 2h }\n',
    );
  });

  after(async () => {
    resumeStorage();
    await stopLifeboat();
  });

  it('storage stopped: denied by lifeboat with timeout (within the webhook deadline), for a PVC with and without a repository', async () => {
    // A repository written after the only refresh: its first read must come from the storage.
    const moved = await createResticRepository({
      version: 2,
      on: 's3',
      server: s3,
      password: PW,
      path: `${prefix}/stop-moved/data`,
    });
    resticRepos.push(moved);
    await moved.backup();
    process.kill(s3.pid, 'SIGSTOP');
    paused = true;
    for (const ns of ['stop-moved', 'stop-new']) {
      const started = Date.now();
      const message = await denied(ns, 'data');
      const ms = Date.now() - started;
      // lifeboat's own answer (the API server would say "failed calling webhook" had it given up first): the
      // catalog's bounded read timed out, or, on a machine too busy for that, the handler's decision budget ran out.
      assert.doesNotMatch(message, /failed calling webhook/);
      const cause = new RegExp(
        `lifeboat cannot tell whether PVC ${ns}/data .*\\((?:(timeout): reading s3:.*/${prefix}/${ns}/data failed|(decision-timeout): )`,
      ).exec(message);
      assert.ok(cause, message);
      process.stderr.write(
        `[measure] ${ns}/data denied (${cause[1] ?? cause[2]}) in ${ms} ms while MinIO was stopped\n`,
      );
    }
  });

  it('storage answers again: the PVC with a repository is restored, the one without is fresh', async () => {
    resumeStorage();
    // The failed read is not an answer: the next CREATE reads again.
    const moved = await eventually('stop-moved/data admitted', async () => {
      const out = await tryCreate('stop-moved', 'data');
      if ('pvc' in out) return out.pvc;
      assert.match(out.message, /timeout|catalog-not-loaded/, 'only a transient refusal while MinIO resumes');
      return undefined;
    });
    assert.match(moved.spec.dataSourceRef?.name ?? '', /^data-restore-/, JSON.stringify(moved.spec));
    const fresh = await createPvc('stop-new', 'data');
    assert.equal(fresh.spec.dataSourceRef, undefined, 'no repository: never backed up');
  });
});

describe('restic on a filesystem: a replaced repository and an emptied location root', () => {
  const LB = 'lb-restic';
  const APPS = 'shop';
  let root: string;
  let oldId: string;

  const IDENTITY = { apiVersion: 'v1', kind: 'ConfigMap', namespace: LB, name: 'lifeboat-repository-identity' };
  const configId = async (repo: ResticTestRepository) =>
    (JSON.parse(await repo.run(['cat', 'config'])) as { id: string }).id;
  const recordedPins = async () =>
    JSON.parse((await kube.get<KubeObject & { data?: { pins?: string } }>(IDENTITY))?.data?.pins ?? '{}') as Record<
      string,
      string
    >;

  before(async () => {
    root = join(scratch, 'restic-root');
    await mkdir(root);
    const repo = await createResticRepository({ version: 2, on: 'fs', password: PW, path: join(root, APPS, 'data') });
    resticRepos.push(repo);
    await repo.backup();
    oldId = await configId(repo);
    for (const ns of [LB, APPS]) await namespace(ns);
    await secret(LB, { RESTIC_PASSWORD: PW });
    await startLifeboat(
      LB,
      `repository: { backend: restic, url: "${root}/{namespace}/{pvc}" }\n` +
        'catalog: { refreshInterval: 1s, staleAfter: 4s }\n',
    );
  });

  after(async () => {
    await stopLifeboat();
  });

  it('another `restic init` at the PVC’s location → denied repository-changed until the documented command confirms it', async () => {
    await eventually('the leader records shop/data', async () =>
      (await recordedPins())[`${APPS}/data`] === oldId ? true : undefined,
    );
    // The repository is deleted and initialised again at the same place (a new repository with its own config id).
    await rm(join(root, APPS, 'data'), { recursive: true });
    const again = await createResticRepository({ version: 2, on: 'fs', password: PW, path: join(root, APPS, 'data') });
    resticRepos.push(again);
    const snapshot = await again.backup();
    const newId = await configId(again);
    assert.notEqual(newId, oldId);
    await answers(APPS, 'data', 'repository-changed');
    const message = await denied(APPS, 'data');
    assert.match(
      message,
      new RegExp(
        `repository-changed: the repository at ${root}/${APPS}/data has ID ${newId}, but lifeboat recorded ${oldId}`,
      ),
    );
    assert.match(message, /kubectl -n <lifeboat namespace> annotate configmap lifeboat-repository-identity/);
    assert.match(message, /lifeboat\.dev\/confirm-repository=<new ID>/);
    await assertChangeAwaitsConfirmation(ports.ops, oldId, newId);
    // The documented command: one annotation naming the new ID.
    await kube.http.request('PATCH', await kube.resources.objectPath('v1', 'ConfigMap', IDENTITY.name, LB), {
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { 'lifeboat.dev/confirm-repository': newId } } },
    });
    await eventually('the leader records the new repository', async () =>
      (await recordedPins())[`${APPS}/data`] === newId ? true : undefined,
    );
    await answers(APPS, 'data', 'snapshots-found');
    const pvc = await createPvc(APPS, 'data');
    assert.match(pvc.spec.dataSourceRef?.name ?? '', /^data-restore-/);
    assert.equal(pvc.metadata.annotations?.['lifeboat.dev/restore-snapshot'], snapshot);
  });

  it('the location root holds no repository while repositories were recorded → a new PVC is denied repository-missing', async () => {
    // What an NFS export that is no longer mounted looks like: the mount point is there, and empty.
    const away = join(scratch, 'restic-away');
    await rename(join(root, APPS), away);
    assert.deepEqual(await readdir(root), []);
    // A PVC that never had a repository: fresh, were it not for the recorded ones that are all gone.
    await answers(APPS, 'never-backed-up', 'repository-missing');
    const message = await denied(APPS, 'never-backed-up');
    assert.match(
      message,
      new RegExp(
        `repository-missing: the location root of ${root}/${APPS}/never-backed-up holds no repository at all, although 1 were recorded`,
      ),
    );
    // The mount is back: the same new PVC is fresh.
    await rename(away, join(root, APPS));
    await answers(APPS, 'never-backed-up', 'repository-not-found');
    const pvc = await createPvc(APPS, 'never-backed-up');
    assert.equal(pvc.spec.dataSourceRef, undefined);
  });
});
