/**
 * lifeboat's promise end to end, with the real `lifeboat run` process, a real kube-apiserver and a real Kopia
 * repository written by the real kopia binary: a brand-new PVC starts empty at once; a recreated PVC is restored from
 * the newest snapshot that existed when it was created (never an older one); a repository that suddenly shows no
 * history for a PVC that had backups is refused (soft-no guard); unreadable repositories are refused with the cause;
 * lifeboat down refuses labelled PVCs only, and break-glass lets them through; the manual point-in-time restore
 * is one `lifeboat restore` whose recreated claim lifeboat's own webhook points at the chosen snapshot.
 *
 * Nothing else runs in this cluster: the test plays VolSync (it sets the restore point's `status.latestImage`), the
 * volume populator / PV controller (it marks the PVC Bound, and removes the pvc-protection finalizer on delete) and
 * the Deployment controller (status.replicas follows spec.replicas, for `lifeboat restore`).
 * Real twin: test/integration/realnode-data-path-*.test.ts (real VolSync, populator, PV binder and PVC protection, for
 * kopia and restic); the Deployment controller has no real twin yet (issue 10, item 4).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cp as copyDir, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { describeKubeError } from '../../src/kube/errors.ts';
import { restoreAsOfFor, restorePointName } from '../../src/plan/restore-point.ts';
import { type CliRun, runWithEnv } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { eventually } from '../support/eventually.ts';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import { assertChangeAwaitsConfirmation, startLifeboatRun, stopLifeboatRun } from '../support/lifeboat-run.ts';
import { freePort } from '../support/processes.ts';
import { deploymentMounting, playWorkloadStatus } from './operating-fixtures.ts';

const NS = 'flow';
const VOLSYNC = 'volsync.backube/v1alpha1';
const PASSWORD = 'flow-test-password';
const naming = loadConfig('').naming;

let cp: ControlPlane;
let kube: KubeClient;
let repo: KopiaTestRepository;
let emptyRepo: KopiaTestRepository;
let lifeboat: ChildProcess | undefined;
/** The second cluster of the "full rebuild" scenario. */
let rebuilt: ControlPlane | undefined;
/** The first cluster, once the rebuild replaced `cp`. */
let original: ControlPlane | undefined;
/** stderr of the current `lifeboat run`. */
let log = { text: '' };
const ports = { ops: 0, webhook: 0 };

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function setSecret(repository: string, password = PASSWORD) {
  await kube.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
      data: { KOPIA_PASSWORD: b64(password), KOPIA_REPOSITORY: b64(`filesystem://${repository}`) },
    },
    { force: true },
  );
}

function pvcManifest(name: string, labels: Record<string, string> = { backup: 'daily' }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS, labels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

type Pvc = KubeObject & {
  spec: { dataSourceRef?: { apiGroup: string; kind: string; name: string } };
  metadata: KubeObject['metadata'] & { finalizers?: string[] };
};

async function createPvc(name: string, labels?: Record<string, string>, ns = NS): Promise<Pvc> {
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', ns);
  return await kube.http.request<Pvc>('POST', path, {
    body: { ...pvcManifest(name, labels), metadata: { name, namespace: ns, labels: labels ?? { backup: 'daily' } } },
  });
}

async function patch(
  target: { apiVersion: string; kind: string; namespace: string; name: string },
  body: unknown,
  sub?: string,
) {
  const path = await kube.resources.objectPath(target.apiVersion, target.kind, target.name, target.namespace);
  await kube.http.request('PATCH', sub ? `${path}/${sub}` : path, {
    contentType: 'application/merge-patch+json',
    body,
  });
}

/** Plays the PV-protection controller: deletes the PVC and lets it go. */
async function deletePvc(name: string) {
  const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name };
  await kube.delete(ref);
  await patch(ref, { metadata: { finalizers: null } }).catch(() => {});
  await eventually(`${name} gone`, async () => ((await kube.get(ref)) ? undefined : true));
}

const IDENTITY = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'lifeboat-system',
  name: 'lifeboat-repository-identity',
};

/** The documented confirmation of a new repository: `kubectl annotate … lifeboat.dev/confirm-repository=<ID>`. */
async function confirmRepository(id: string) {
  await patch(IDENTITY, { metadata: { annotations: { 'lifeboat.dev/confirm-repository': id } } });
}

async function snapshotIds(): Promise<{ id: string; startTime: string }[]> {
  return (await repo.listSnapshots())
    .filter((s) => s.source.userName === 'data-backup' && s.source.host === NS)
    .sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime));
}

async function startLifeboat(extraConfig = '') {
  log = { text: '' };
  lifeboat = await startLifeboatRun({
    configPath: join(cp.dir, 'flow-config.yaml'),
    configYaml: `namespace: lifeboat-system\ncatalog: { refreshInterval: 1s, staleAfter: 4s }\n${extraConfig}`,
    kubeconfig: cp.kubeconfigPath,
    ports,
    kube,
    log,
  });
}

async function stopLifeboat(): Promise<void> {
  const child = lifeboat;
  lifeboat = undefined;
  await stopLifeboatRun(child);
}

/** Plays the cluster's other actors in namespace NS until stopped (see restore.test.ts for the full cast). */
function playCluster(): { stop(): Promise<void>; populated: Map<string, string | undefined> } {
  let playing = true;
  /** Restore points VolSync filled, with the restoreAsOf each carried. */
  const populated = new Map<string, string | undefined>();
  const once = async () => {
    await playWorkloadStatus(kube, NS, ['Deployment']);
    for (const c of await kube.list<Pvc & { status?: { phase?: string } }>('v1', 'PersistentVolumeClaim', {
      namespace: NS,
    })) {
      const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name: c.metadata.name };
      if (c.metadata.deletionTimestamp && c.metadata.finalizers?.length) {
        await patch(ref, { metadata: { finalizers: null } });
      } else if (!c.metadata.deletionTimestamp && c.spec.dataSourceRef && c.status?.phase !== 'Bound') {
        // The populator waits for the restore point; VolSync fills it (latestImage); then the claim is Bound.
        const target = {
          apiVersion: VOLSYNC,
          kind: 'ReplicationDestination',
          namespace: NS,
          name: c.spec.dataSourceRef.name,
        };
        const rd = await kube.get<
          KubeObject & { spec: { kopia?: { restoreAsOf?: string } }; status?: { latestImage?: unknown } }
        >(target);
        if (!rd) continue;
        if (!rd.status?.latestImage) {
          populated.set(rd.metadata.name, rd.spec.kopia?.restoreAsOf);
          await patch(
            target,
            {
              status: {
                latestImage: {
                  apiGroup: 'snapshot.storage.k8s.io',
                  kind: 'VolumeSnapshot',
                  name: `${rd.metadata.name}-snap`,
                },
              },
            },
            'status',
          );
        } else {
          await patch(ref, { status: { phase: 'Bound' } }, 'status');
        }
      }
    }
  };
  const loop = (async () => {
    while (playing) {
      await once().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    populated,
    async stop() {
      playing = false;
      await loop;
    },
  };
}

/** Waits until the catalog (its refresh runs every second) reports exactly `count` restore points of `pvc`. */
async function catalogSees(pvc: string, count: number) {
  await eventually(`catalog shows ${count} snapshots of ${pvc}`, async () => {
    const res = await fetch(`http://127.0.0.1:${ports.ops}/exists/${NS}/${pvc}`);
    const body = (await res.json()) as { snapshots?: number };
    return body.snapshots === count ? true : undefined;
  });
}

before(async () => {
  cp = await startControlPlane({ crds: 'kopia-fork' });
  kube = new KubeClient(cp.kubeConfig);
  repo = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: PASSWORD });
  emptyRepo = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: PASSWORD });
  const dir = await makeSourceDir(repo.root, 'data', { 'db.sqlite': 'v1' });
  await repo.snapshot({ source: `data-backup@${NS}:/data`, dir, startTime: new Date('2026-11-20T02:17:00Z') });
  for (const name of ['lifeboat-system', NS]) {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, annotations: name === NS ? { 'volsync.backube/privileged-movers': 'true' } : {} },
    });
  }
  await setSecret(repo.repoPath ?? '');
  ports.ops = await freePort();
  ports.webhook = await freePort();
  await startLifeboat();
});

after(async () => {
  await stopLifeboat();
  await original?.stop();
  kube?.close();
  await cp?.stop();
  await repo?.cleanup();
  await emptyRepo?.cleanup();
});

describe('restore flow (real lifeboat run, kube-apiserver, kopia repository)', () => {
  it('a brand-new PVC starts empty at once: no dataSourceRef', async () => {
    const pvc = await createPvc('newapp');
    assert.equal(pvc.spec.dataSourceRef, undefined);
  });

  it('a recreated PVC is restored from the newest snapshot through a restore point pinned to it', async () => {
    await catalogSees('data', 1);
    const [newest] = await snapshotIds();
    assert.ok(newest);
    const pvc = await createPvc('data');
    const point = restorePointName('data', newest.id, naming);
    assert.deepEqual(pvc.spec.dataSourceRef, {
      apiGroup: 'volsync.backube',
      kind: 'ReplicationDestination',
      name: point,
    });
    assert.equal(pvc.metadata.annotations?.['lifeboat.dev/restore-snapshot'], newest.id);

    // The controller creates that restore point, pinned to the snapshot's time, with the backups' kopia identity.
    const rd = await eventually('restore point', () =>
      kube.get<KubeObject & { spec: { kopia: Record<string, unknown> } }>({
        apiVersion: VOLSYNC,
        kind: 'ReplicationDestination',
        namespace: NS,
        name: point,
      }),
    );
    assert.equal(rd.spec.kopia.restoreAsOf, restoreAsOfFor(Date.parse(newest.startTime)));
    assert.equal(rd.spec.kopia.username, 'data-backup');
    assert.equal(rd.spec.kopia.hostname, NS);

    // The ledger: lifeboat now remembers that this PVC has backups.
    const persistent = await eventually('ledger on the persistent destination', async () => {
      const d = await kube.get({
        apiVersion: VOLSYNC,
        kind: 'ReplicationDestination',
        namespace: NS,
        name: 'data-restore',
      });
      return d?.metadata.annotations?.['lifeboat.dev/backup-history'] ? d : undefined;
    });
    assert.match(persistent.metadata.annotations?.['lifeboat.dev/backup-history'] ?? '', new RegExp(newest.id));

    // Playing VolSync and the populator: the restore finished, the PVC is populated and Bound.
    await patch(
      { apiVersion: VOLSYNC, kind: 'ReplicationDestination', namespace: NS, name: point },
      {
        status: { latestImage: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: `${point}-snap` } },
      },
      'status',
    );
    await patch(
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name: 'data' },
      { status: { phase: 'Bound' } },
      'status',
    );
    await eventually('restore point removed once the PVC is populated', async () =>
      (await kube.get({ apiVersion: VOLSYNC, kind: 'ReplicationDestination', namespace: NS, name: point }))
        ? undefined
        : true,
    );
  });

  it('after a newer backup, a recreated PVC restores that newer snapshot, never the older one', async () => {
    const dir = await makeSourceDir(repo.root, 'data2', { 'db.sqlite': 'v2' });
    await repo.snapshot({ source: `data-backup@${NS}:/data`, dir, startTime: new Date('2026-11-21T02:17:00Z') });
    await catalogSees('data', 2);
    const [newest, older] = await snapshotIds();
    assert.ok(newest && older && newest.id !== older.id);
    await deletePvc('data');
    const pvc = await createPvc('data');
    assert.equal(pvc.spec.dataSourceRef?.name, restorePointName('data', newest.id, naming));
    assert.notEqual(pvc.spec.dataSourceRef?.name, restorePointName('data', older.id, naming));
    await patch(
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name: 'data' },
      { status: { phase: 'Bound' } },
      'status',
    );
  });

  it('point-in-time restore: `lifeboat restore --previous 1` goes through the real admission to the older snapshot', async () => {
    const [newest, older] = await snapshotIds();
    assert.ok(newest && older);
    const before = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name: 'data' });
    assert.ok(before);
    // The application mounting the claim, as a manual restore scales it down first.
    await kube.apply(deploymentMounting(NS, 'app', 'data', 2));
    // Playing the Deployment controller (status follows spec), the PVC protection controller (a deleted claim goes)
    // and the populator (a claim pointed at a restore point becomes Bound) while the command runs.
    const players = playCluster();
    let run: CliRun;
    try {
      run = await runWithEnv(
        {},
        'restore',
        `${NS}/data`,
        '--previous',
        '1',
        '--recreate',
        '--yes',
        '--kubeconfig',
        cp.kubeconfigPath,
        '--config',
        join(cp.dir, 'flow-config.yaml'),
        '--poll',
        '100ms',
        '--wait-timeout',
        '60s',
      );
    } finally {
      await players.stop();
    }
    assert.equal(run.status, 0, run.err + run.out);
    assert.match(run.out, new RegExp(`restore ${NS}/data to snapshot ${older.id}`));
    assert.match(run.out, /workloads to stop: Deployment app \(2\)/);

    // lifeboat's own webhook (in `lifeboat run`) pointed the recreated claim at a restore point of the older snapshot.
    const after = await kube.get<Pvc>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name: 'data' });
    assert.notEqual(after?.metadata.uid, before.metadata.uid, 'the claim was recreated');
    const point = restorePointName('data', older.id, naming);
    assert.equal(after?.spec.dataSourceRef?.name, point);
    assert.equal(after?.metadata.annotations?.['lifeboat.dev/restore-snapshot'], older.id);
    assert.notEqual(after?.spec.dataSourceRef?.name, restorePointName('data', newest.id, naming));
    const deployment = await kube.get<KubeObject & { spec: { replicas: number } }>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: NS,
      name: 'app',
    });
    assert.equal(deployment?.spec.replicas, 2, 'scaled back to what it ran before');
    // The controller wrote that restore point, pinned to the older snapshot's time, and VolSync filled it from there.
    assert.deepEqual([...players.populated], [[point, restoreAsOfFor(Date.parse(older.startTime))]]);
    await kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'app' });
  });

  it('another repository at the location → denied as repository-changed until one command confirms it', async () => {
    // The Secret now points at another (empty, valid) repository: a staging repository or a re-created one.
    await setSecret(emptyRepo.repoPath ?? '');
    const [oldId, newId] = [await repo.uniqueId(), await emptyRepo.uniqueId()];
    await eventually('catalog reads the other repository', async () => {
      const body = (await (await fetch(`http://127.0.0.1:${ports.ops}/exists/${NS}/data`)).json()) as {
        error?: string;
      };
      return /repository-changed/.test(body.error ?? '') ? true : undefined;
    });
    const recorded = await kube.get<KubeObject & { data?: Record<string, string> }>(IDENTITY);
    assert.match(recorded?.data?.pins ?? '', new RegExp(oldId), 'the leader recorded the first repository');
    await assert.rejects(createPvc('new-while-changed'), (error: unknown) => {
      const e = describeKubeError(error);
      assert.equal(e.status, 403, e.message);
      assert.match(
        e.message,
        new RegExp(`repository-changed: the repository at .* has ID ${newId}, but lifeboat recorded ${oldId}`),
      );
      assert.match(e.message, /lifeboat\.dev\/confirm-repository=<new ID>/);
      return true;
    });
    // The leader's /audit shows the change and the command that accepts it.
    await assertChangeAwaitsConfirmation(ports.ops, oldId, newId);
    // The documented confirmation: one annotation naming the new ID.
    await confirmRepository(newId);
    await eventually('the confirmed repository answers', async () => {
      try {
        return (await createPvc('new-after-confirm')).spec.dataSourceRef === undefined ? true : undefined;
      } catch {
        return undefined;
      }
    });
  });

  it('no repository at all where one was recorded (an empty mount) → denied as repository-missing', async () => {
    const empty = join(cp.dir, 'empty-mount');
    await mkdir(empty, { recursive: true });
    await setSecret(empty);
    await eventually('denied with repository-missing', async () => {
      try {
        await createPvc(`probe-missing-${Date.now()}`);
        return undefined;
      } catch (error) {
        const e = describeKubeError(error);
        return /repository-missing: no repository exists at .*empty-mount, but repository [0-9a-f]{64} was recorded there/.test(
          e.message,
        )
          ? e
          : undefined;
      }
    });
  });

  it('soft-no guard: the repository now shows nothing for a PVC that had backups → denied, saying what was expected', async () => {
    // The (confirmed) empty repository: a moved bucket or a wrong template looks so for a PVC with history.
    await setSecret(emptyRepo.repoPath ?? '');
    // /exists answers with the same ledger admission uses; wait until the catalog has read the new location.
    const answer = await eventually('catalog reads the other (empty) repository', async () => {
      const res = await fetch(`http://127.0.0.1:${ports.ops}/exists/${NS}/data`);
      const body = (await res.json()) as { decision: string; error?: string };
      return /history-missing/.test(body.error ?? '') ? { status: res.status, body } : undefined;
    });
    assert.equal(answer.status, 503);
    assert.equal(answer.body.decision, 'unknown');
    await deletePvc('data');
    // Right after the Secret changed, a CREATE may still meet the transient catalog-not-loaded of the new location
    // (also a denial, which GitOps retries); it must never be admitted, and must settle on history-missing.
    let admitted = false;
    const denial = await eventually('CREATE denied with history-missing', async () => {
      if (admitted) return { status: 0, message: 'admitted' }; // ends the wait; asserted below
      try {
        await createPvc('data');
        admitted = true;
        return undefined;
      } catch (error) {
        const e = describeKubeError(error);
        return e.status === 403 && /history-missing/.test(e.message) ? e : undefined;
      }
    });
    assert.equal(admitted, false, 'the PVC was admitted although its backups went missing');
    assert.equal(denial.status, 403, denial.message);
    // It says what was expected (the snapshot lifeboat recorded) and what was found.
    assert.match(denial.message, /although backups were recorded \(last recorded: [0-9a-f]+ from 2026-11-21T02:17:00/);
    // A brand-new PVC in the same (reachable, empty) repository is still fresh.
    const other = await createPvc('another-new-app');
    assert.equal(other.spec.dataSourceRef, undefined);
    // Back to the real repository: a change again, confirmed again.
    await setSecret(repo.repoPath ?? '');
    await confirmRepository(await repo.uniqueId());
    await catalogSees('data', 2);
  });

  it('a wrong password makes every labelled CREATE unknown → denied with the cause and remedy', async () => {
    await setSecret(repo.repoPath ?? '', 'not-the-password');
    await eventually('denied with wrong-password', async () => {
      try {
        await createPvc(`probe-${Date.now()}`);
        return undefined;
      } catch (error) {
        const e = describeKubeError(error);
        return /wrong-password/.test(e.message) ? e : undefined;
      }
    });
    await setSecret(repo.repoPath ?? '');
    await eventually('answers authoritative again after the fix', async () => {
      try {
        await createPvc(`healed-${Date.now()}`);
        return true;
      } catch {
        return undefined;
      }
    });
  });

  it('snapshots written under another identity shape → denied as identity-mismatch, naming the source found', async () => {
    // The movers of another setup wrote `drifted@<ns>:/data`; lifeboat's template expects `drifted-backup@<ns>:/data`.
    const dir = await makeSourceDir(repo.root, 'drifted', { 'notes.txt': 'written under another identity' });
    await repo.snapshot({ source: `drifted@${NS}:/data`, dir, startTime: new Date('2026-11-22T02:00:00Z') });
    // Wait until the catalog has read it (a CREATE before that would be answered fresh and take the name).
    const answer = await eventually('catalog sees the drifted source', async () => {
      const res = await fetch(`http://127.0.0.1:${ports.ops}/exists/${NS}/drifted`);
      const body = (await res.json()) as { decision: string; error?: string };
      return /identity-mismatch/.test(body.error ?? '') ? { status: res.status, body } : undefined;
    });
    assert.equal(answer.status, 503);
    await assert.rejects(createPvc('drifted'), (error: unknown) => {
      const e = describeKubeError(error);
      assert.equal(e.status, 403, e.message);
      assert.match(e.message, new RegExp(`identity-mismatch: .*drifted@${NS}:/data`));
      return true;
    });
    // A PVC of the same namespace whose name no source mentions is still fresh.
    assert.equal((await createPvc(`undrifted-${Date.now()}`)).spec.dataSourceRef, undefined);
  });

  // The same repository (same location content, no repository change) with one of the two blobs kopia verifies before
  // it lists anything damaged: the answer must name the damage, never send the user rotating passwords.
  const damages: { blob: string; damage: (bytes: Buffer) => Buffer }[] = [
    {
      blob: 'kopia.blobcfg',
      damage: (bytes) => {
        bytes[20] = (bytes[20] ?? 0) ^ 0xff; // one flipped byte in the sealed blob-storage config
        return bytes;
      },
    },
    { blob: 'kopia.repository', damage: (bytes) => bytes.subarray(0, bytes.length / 2) }, // a format blob cut short
  ];
  for (const { blob, damage } of damages) {
    it(`a damaged ${blob} → denied as corrupt (not wrong-password), and answers again once repaired`, async () => {
      const damaged = join(cp.dir, `damaged-${blob}`);
      await copyDir(repo.repoPath ?? '', damaged, { recursive: true });
      const file = join(damaged, `${blob}.f`);
      await writeFile(file, damage(await readFile(file)));
      await setSecret(damaged);
      const denied = await eventually('denied with corrupt', async () => {
        try {
          await createPvc(`probe-corrupt-${Date.now()}`);
          return undefined;
        } catch (error) {
          const e = describeKubeError(error);
          return /corrupt: /.test(e.message) ? e : undefined;
        }
      });
      assert.equal(denied.status, 403);
      assert.match(denied.message, new RegExp(blob.replace('.', '\\.')));
      assert.doesNotMatch(denied.message, /wrong-password/);
      await setSecret(repo.repoPath ?? '');
      await eventually('answers authoritative again after the repair', async () => {
        try {
          await createPvc(`repaired-${Date.now()}`);
          return true;
        } catch {
          return undefined;
        }
      });
    });
  }

  it('lifeboat down: labelled PVCs are refused (fail-closed), unlabelled ones and break-glass namespaces are not', async () => {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'glass',
        labels: { 'lifeboat.dev/break-glass': 'true' },
        annotations: { 'volsync.backube/privileged-movers': 'true' },
      },
    });
    // Break-glass is visible in metrics although such a namespace never reaches the webhook.
    await eventually('break-glass gauge', async () => {
      const text = await (await fetch(`http://127.0.0.1:${ports.ops}/metrics`)).text();
      return /^lifeboat_break_glass\{scope="namespace"\} 1$/m.test(text) ? true : undefined;
    });
    // The /audit ledger of the running leader: one row per PVC, with the catalog's view of its backups.
    const audit = (await (await fetch(`http://127.0.0.1:${ports.ops}/audit?namespace=${NS}`)).json()) as {
      summary: { total: number };
      rows: { pvc: string; snapshots: { count: number } | null }[];
    };
    assert.ok(audit.summary.total >= 2, JSON.stringify(audit.summary));
    assert.equal(audit.rows.find((r) => r.pvc === 'data')?.snapshots?.count, 2);
    await stopLifeboat();
    await assert.rejects(createPvc('while-down'), (error: unknown) => {
      assert.match(describeKubeError(error).message, /failed calling webhook/);
      return true;
    });
    const plain = await createPvc('scratch', {});
    assert.equal(plain.metadata.name, 'scratch');
    const glass = await createPvc('urgent', { backup: 'daily' }, 'glass');
    assert.equal(glass.metadata.name, 'urgent');
    assert.doesNotMatch(
      log.text,
      new RegExp(`${PASSWORD}|${b64(PASSWORD)}`),
      'the repository password never reaches the logs',
    );
  });

  it('full cluster rebuild with repository.expectedId: the wrong repository is refused from the first minute, the right one restores', async () => {
    await stopLifeboat();
    // Nothing of the old cluster survives: no ReplicationDestination, no ledger, no recorded repository identity.
    rebuilt = await startControlPlane({ crds: 'kopia-fork' });
    original = cp;
    cp = rebuilt;
    kube.close();
    kube = new KubeClient(rebuilt.kubeConfig);
    for (const name of ['lifeboat-system', NS]) {
      await kube.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, annotations: name === NS ? { 'volsync.backube/privileged-movers': 'true' } : {} },
      });
    }
    // The wrong repository mounted, the expected ID from Git.
    await setSecret(emptyRepo.repoPath ?? '');
    ports.ops = await freePort();
    ports.webhook = await freePort();
    const expectedId = await repo.uniqueId();
    await startLifeboat(`repository: { expectedId: "${expectedId}" }\n`);
    await assert.rejects(createPvc('data'), (error: unknown) => {
      const e = describeKubeError(error);
      assert.equal(e.status, 403, e.message);
      assert.match(e.message, new RegExp(`repository-changed: .* but repository.expectedId is ${expectedId}`));
      return true;
    });
    await setSecret(repo.repoPath ?? '');
    await catalogSees('data', 2);
    const [newest] = await snapshotIds();
    assert.ok(newest);
    const pvc = await createPvc('data');
    assert.equal(pvc.spec.dataSourceRef?.name, restorePointName('data', newest.id, naming));
    // Backup disabled: a PVC without the label never reaches lifeboat and starts empty.
    const off = await createPvc('data-unprotected', {});
    assert.equal(off.spec.dataSourceRef, undefined);
    await stopLifeboat();
  });
});
