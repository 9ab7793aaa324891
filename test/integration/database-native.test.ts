/**
 * Databases on their native path, on a real API server with the real `lifeboat run` and `lifeboat status`: claims
 * shaped as CloudNativePG makes them (an ownerReference to a `postgresql.cnpg.io/v1` Cluster plus the `cnpg.io/*`
 * labels, read from its source) get the `database` verdict when unlabelled and a `DatabaseFileCopy` Warning Event when
 * labelled, and both show in `/audit`, `lifeboat status` and the metrics.
 *
 * Own control plane: the operator watches every namespace. No CloudNativePG CRD and no Cluster object exist: the
 * ownerReference names a uid nothing has. A real cluster's garbage collector would delete such a claim; this control
 * plane runs no controller-manager, so the claims stay, and the test checks that they do (what lifeboat reads is the
 * reference, not the owner). Nothing plays the operator: lifeboat never looks at the Cluster itself.
 * Real twin: none yet; a CloudNativePG operator on the real node would make these claims itself.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import type { Ledger } from '../../src/status/types.ts';
import { runWithEnv } from '../support/cli.ts';
import { CNPG_OWNER, cnpgLabels } from '../support/cnpg-claim.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { eventually } from '../support/eventually.ts';
import { startLifeboatRun, stopLifeboatRun } from '../support/lifeboat-run.ts';
import { freePort } from '../support/processes.ts';
import {
  eventsFor,
  type KopiaFixture,
  kopiaFixture,
  namespace,
  pvcManifest,
  sourceSecret,
  tempDir,
} from './operating-fixtures.ts';

const NS = 'db';
const CONFIG = 'namespace: lifeboat-system\ncatalog: { refreshInterval: 1s, staleAfter: 4s }\n';
const EVIDENCE = 'ownerReference postgresql.cnpg.io/v1 Cluster pg-main';

let cp: ControlPlane;
let kube: KubeClient;
let kopia: KopiaFixture;
let lifeboat: ChildProcess | undefined;
let configFile: string;
const log = { text: '' };
const ports = { ops: 0, webhook: 0 };

/** A claim as CloudNativePG's instance manager makes it for instance `name` of Cluster pg-main. */
async function cnpgClaim(name: string, extraLabels: Record<string, string> = {}) {
  const manifest = pvcManifest(NS, name, {
    labels: { ...cnpgLabels(name), ...extraLabels },
  });
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', NS);
  await kube.http.request('POST', path, {
    body: { ...manifest, metadata: { ...manifest.metadata, ownerReferences: [CNPG_OWNER] } },
  });
}

before(async () => {
  [cp, kopia] = await Promise.all([startControlPlane({ crds: 'kopia-fork' }), kopiaFixture()]);
  kube = new KubeClient(cp.kubeConfig);
  await namespace(kube, 'lifeboat-system', false);
  await namespace(kube, NS);
  await sourceSecret(kube, kopia);
  await cnpgClaim('pg-main-1');
  await cnpgClaim('pg-insist-1', { backup: 'daily' });
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', NS);
  await kube.http.request('POST', path, { body: pvcManifest(NS, 'web') });
  ports.ops = await freePort();
  ports.webhook = await freePort();
  const dir = await tempDir('lifeboat-database-');
  configFile = join(dir, 'lifeboat.yaml');
  await writeFile(configFile, CONFIG);
  lifeboat = await startLifeboatRun({
    configPath: join(dir, 'run.yaml'),
    configYaml: CONFIG,
    kubeconfig: cp.kubeconfigPath,
    ports,
    kube,
    log,
  });
});

after(async () => {
  await stopLifeboatRun(lifeboat);
  kube?.close();
  await cp?.stop();
  await kopia?.repo.cleanup();
});

async function audit(): Promise<Ledger> {
  const response = await fetch(`http://127.0.0.1:${ports.ops}/audit?namespace=${NS}`);
  assert.equal(response.status, 200);
  return (await response.json()) as Ledger;
}

async function metrics(): Promise<string> {
  return await (await fetch(`http://127.0.0.1:${ports.ops}/metrics`)).text();
}

describe('a CloudNativePG-shaped claim', () => {
  it('labelled: backed up as asked, with a DatabaseFileCopy Warning Event that suggests the exemption', async () => {
    const warning = await eventually('DatabaseFileCopy Event', async () =>
      (await eventsFor(kube, NS, 'PersistentVolumeClaim', 'pg-insist-1')).find((e) => e.reason === 'DatabaseFileCopy'),
    );
    assert.equal(warning.type, 'Warning');
    assert.match(
      warning.note,
      /database operator cloudnative-pg made this PVC \(ownerReference postgresql\.cnpg\.io\/v1 Cluster pg-main\)/,
    );
    assert.match(warning.note, /crash-consistent at best/);
    assert.match(
      warning.note,
      /replace backup with backup-exempt: "true" and the annotation lifeboat\.dev\/backup-exempt-reason: database-native/,
    );
    // Still works: the restore point the label asks for exists (the source waits for the claim to be Bound).
    await eventually('restore point of pg-insist-1', () =>
      kube.get({
        apiVersion: 'volsync.backube/v1alpha1',
        kind: 'ReplicationDestination',
        namespace: NS,
        name: 'pg-insist-1-restore',
      }),
    );
  });

  it('unlabelled: no Event, no generated object (left to the operator)', async () => {
    // The controller's verdict metric counts pg-main-1 once it reconciled it: only then is "no Event" a finding.
    await eventually('the leader reconciled pg-main-1', async () =>
      /^lifeboat_pvc_verdicts\{verdict="database"\} 1$/m.test(await metrics()) ? true : undefined,
    );
    assert.deepEqual(await eventsFor(kube, NS, 'PersistentVolumeClaim', 'pg-main-1'), []);
    assert.equal(
      await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'pg-main-1-volsync-secret' }),
      undefined,
    );
  });

  it('/audit shows the verdicts, the operator and the count of file copies', async () => {
    const ledger = await audit();
    const row = (pvc: string) => ledger.rows.find((r) => r.pvc === pvc);
    assert.deepEqual(
      { verdict: row('pg-main-1')?.verdict, reason: row('pg-main-1')?.reason, database: row('pg-main-1')?.database },
      {
        verdict: 'database',
        reason: 'NativeBackupExpected',
        database: { operator: 'cloudnative-pg', evidence: EVIDENCE },
      },
    );
    assert.match(row('pg-main-1')?.message ?? '', /^database: native backup expected \(operator cloudnative-pg/);
    // Not Bound (no PV controller here): waiting for the bind, and still named as the operator's.
    assert.equal(row('pg-insist-1')?.verdict, 'waiting');
    assert.deepEqual(row('pg-insist-1')?.database, { operator: 'cloudnative-pg', evidence: EVIDENCE });
    assert.deepEqual(
      { verdict: row('web')?.verdict, database: row('web')?.database },
      { verdict: 'needs-attention', database: null },
    );
    assert.equal(ledger.summary.byVerdict.database, 1);
    assert.equal(ledger.summary.databaseFileCopies, 1);
  });

  it('the metrics count both', async () => {
    const text = await metrics();
    assert.match(text, /^lifeboat_pvc_verdicts\{verdict="database"\} 1$/m);
    assert.match(text, /^lifeboat_pvc_database_file_copies 1$/m);
  });

  it('lifeboat status shows the same verdicts, as JSON and as a table', async () => {
    const args = ['status', '--kubeconfig', cp.kubeconfigPath, '--config', configFile, '-n', NS];
    const json = await runWithEnv({}, ...args, '-o', 'json');
    assert.equal(json.status, 0, json.err);
    const ledger = JSON.parse(json.out) as Ledger;
    assert.deepEqual(
      ledger.rows.map((r) => [r.pvc, r.verdict, r.database?.operator ?? null]),
      [
        ['pg-insist-1', 'waiting', 'cloudnative-pg'],
        ['pg-main-1', 'database', 'cloudnative-pg'],
        ['web', 'needs-attention', null],
      ],
    );
    const table = await runWithEnv({}, ...args, '--verdict', 'database');
    assert.equal(table.status, 0, table.err);
    assert.match(table.out, /pg-main-1 +- +database: native backup expected/);
    assert.doesNotMatch(table.out, /pg-insist-1|web/);
  });

  it('the claims keep their ownerReference: no garbage collector runs here', async () => {
    const pvc = (await kube.get({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: NS,
      name: 'pg-main-1',
    })) as (KubeObject & { metadata: { ownerReferences?: unknown[] } }) | undefined;
    assert.deepEqual(pvc?.metadata.ownerReferences, [CNPG_OWNER]);
  });
});
