/**
 * The full cluster rebuild on the real node (test/support/realnode.ts), for both movers and both kinds of repository:
 * labelled PVCs written by real Pods and backed up by the real movers with kopia on S3 (three PVCs in two namespaces),
 * restic on S3 and kopia on the NFS-like export, lifeboat installed from its chart with each configuration in turn
 * (lifeboat takes one repository configuration); the whole cluster replaced by a fresh one on the same MinIO and the
 * same export (realnode.ts rebuildRealNode: new etcd data, CA and keys, new kubelet, runtime and CSI state, no object
 * of the old cluster); then for each configuration in turn lifeboat installed again on the same repository (no longer
 * declared a first installation), the same namespaces and claims applied as GitOps would, each pinned to its snapshot,
 * restored by the real populator, its restore verified, its bytes checked by a real Pod. One rebuild serves the three
 * configurations: a rebuild costs about a minute, and what it tests (nothing of the old cluster left) is the same.
 * Nothing here is played; the NFS server is replaced as realnode-data-path.ts says.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  RESTORE_SNAPSHOT_ANNOTATION,
  RESTORE_VERDICT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
} from '../../src/config/keys.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { eventually } from '../support/eventually.ts';
import { type RealNodeInfo, rebuildRealNode, sharedRealNode, withRealNodeAlone } from '../support/realnode.ts';
import { checkKnownFiles, writeKnownFiles } from '../support/realnode-pods.ts';
import { type Claim, type Scenario as S, Scenario, VOLSYNC } from '../support/realnode-scenario.ts';

describe('real node: full cluster rebuild, kopia on S3 (MinIO), restic on S3, kopia on the NFS-like export', {
  timeout: 2_400_000,
}, () => {
  // Its time includes waiting until no other real-node file uses the node (CI ran it past the 10-minute default
  // test timeout with every step done), so the test has the suite's budget.
  it(
    'a second, fresh cluster on the same repositories restores every labelled PVC, byte for byte',
    {
      timeout: 2_400_000,
    },
    () =>
      // The rebuild stops the cluster every real-node file of the run uses: it waits until it is the only one.
      withRealNodeAlone(async () => {
        const first = await sharedRealNode();
        const before: Backed[] = [];
        try {
          for (const [i, configuration] of REBUILT.entries()) {
            const backed = await backUpConfiguration(first, configuration, before);
            // lifeboat takes one repository configuration: the next one's lifeboat is installed beside these claims.
            // This one goes and its namespaces opt out, so the next leaves them (and their repository) alone; the
            // last stays installed, and the cluster is lost with lifeboat running.
            if (i < REBUILT.length - 1) {
              await backed.scenarios[0]?.uninstall();
              for (const s of backed.scenarios) await s.optOut();
            }
          }
        } catch (error) {
          // The first cluster stays for the run's other files: leave it as found (the installed lifeboat first).
          for (const b of before.reverse()) {
            for (const s of b.scenarios.slice(1)) await s.deleteNamespace().catch(() => undefined);
            await b.scenarios[0]?.stop();
          }
          throw error;
        }
        // The old cluster goes as a whole: what the scenarios hold of it (clients, lock, lifeboat) goes with it.
        for (const s of before.flatMap((b) => b.scenarios)) {
          s.kube.close();
          process.stderr.write(
            `[realnode] ${s.namespace} before the rebuild, step timings (ms): ${JSON.stringify(s.timings)}\n`,
          );
        }

        const t0 = Date.now();
        const second = await rebuildRealNode();
        const rebuildMs = Date.now() - t0;
        assert.notEqual(second.dir, first.dir, 'a new node directory: new etcd data, kubelet, runtime and CSI state');
        const fresh = new KubeClient(second.kubeConfig, 'lifeboat-test');
        try {
          for (const [apiVersion, kind] of [
            ['v1', 'PersistentVolumeClaim'],
            [VOLSYNC, 'ReplicationDestination'],
            [VOLSYNC, 'ReplicationSource'],
          ] as const) {
            assert.deepEqual(
              (await fresh.list(apiVersion, kind)).map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
              [],
              `the fresh cluster has no ${kind}`,
            );
          }
        } finally {
          fresh.close();
        }
        // GitOps installs lifeboat with the same repository, then the apps: the same namespaces and claims as before.
        // One configuration after another (lifeboat is one per cluster); each is cleaned up, whatever the others did.
        const failures: Error[] = [];
        for (const [i, b] of before.entries()) {
          await restoreConfiguration(
            second,
            b,
            i === 0 ? { 'cluster rebuilt': rebuildMs, 'new node ready': second.startMs } : {},
          ).catch((error: Error) =>
            failures.push(new Error(`${b.configuration.name}: ${error.message}`, { cause: error })),
          );
        }
        if (failures.length)
          throw failures.length === 1
            ? failures[0]
            : new AggregateError(failures, failures.map((f) => f.message).join('\n'));
      }),
  );
});

/**
 * One repository configuration of the rebuild: lifeboat's repository, and the claims (namespace, PVC) backed up with it
 * before the rebuild and applied again after it. The first namespace's scenario owns the repository (its own bucket
 * prefix or export directory) and lifeboat's installation.
 */
interface Configuration {
  name: string;
  repository(s: Scenario): { secret: Record<string, string>; config: Record<string, unknown> };
  claims: { namespace: string; pvc: string }[];
}

/**
 * Both movers, both kinds of repository, in one rebuild (a rebuild costs a minute; one per configuration would be
 * three): several PVCs of two namespaces on the shared kopia repository, a restic repository of its own per PVC, and
 * kopia's filesystem repository on the NFS-like export, which outlives the cluster as MinIO does.
 */
const REBUILT: Configuration[] = [
  {
    name: 'kopia on S3 (MinIO)',
    repository: (s) => s.s3Repository('kopia'),
    claims: [
      { namespace: 'rebuild-apps', pvc: 'data' },
      { namespace: 'rebuild-apps', pvc: 'media' },
      { namespace: 'rebuild-db', pvc: 'data' },
    ],
  },
  {
    name: 'restic on S3 (MinIO)',
    repository: (s) => s.s3Repository('restic'),
    claims: [{ namespace: 'rebuild-restic', pvc: 'data' }],
  },
  {
    name: 'kopia on the NFS-like export',
    repository: (s) => s.nfsRepository('kopia'),
    claims: [{ namespace: 'rebuild-nfs', pvc: 'data' }],
  },
];

type Claimed = { s: S; pvc: string; manifest?: string; id?: string };
type Backed = {
  configuration: Configuration;
  scenarios: Scenario[];
  secret: Record<string, string>;
  config: Record<string, unknown>;
  claims: Claimed[];
};

/** A scenario per namespace of the configuration (the first owns the repository and lifeboat's installation). */
function scenariosOf(
  configuration: Configuration,
  make: (namespace: string, owner: boolean) => Scenario,
): { scenarios: Scenario[]; claims: Claimed[] } {
  const namespaces = [...new Set(configuration.claims.map((c) => c.namespace))];
  const scenarios = namespaces.map((ns, i) => make(ns, i === 0));
  const claims = configuration.claims.map((c) => ({
    s: scenarios[namespaces.indexOf(c.namespace)] as Scenario,
    pvc: c.pvc,
  }));
  return { scenarios, claims };
}

/**
 * Installs lifeboat with the configuration's repository, and backs up each of its claims (created, bound, backed up
 * once empty, filled with known files by a real Pod and backed up again); `backed` gets it before anything can fail.
 */
async function backUpConfiguration(
  node: RealNodeInfo & { kubeConfig: KubeConfig },
  configuration: Configuration,
  backed: Backed[],
): Promise<Backed> {
  const { scenarios, claims } = scenariosOf(configuration, (ns) => new Scenario(node, ns));
  const [owner, ...others] = scenarios as [Scenario, ...Scenario[]];
  const b: Backed = { configuration, scenarios, claims, ...configuration.repository(owner) };
  backed.push(b);
  await owner.start(b.secret, b.config);
  for (const o of others) await o.createNamespace();
  for (const c of claims) {
    await c.s.step(`${c.pvc}: new PVC bound, first backup`, async () => {
      await c.s.createPvc(c.pvc);
      await c.s.bound(c.pvc);
      await c.s.settled(c.pvc);
    });
    c.manifest = await c.s.step(`${c.pvc}: writer pod`, () =>
      writeKnownFiles(c.s.kube, c.s.namespace, c.pvc, node.toolsImage),
    );
    const status = await c.s.step(`${c.pvc}: backup`, () => c.s.backup(c.pvc, 'before-rebuild'));
    c.id = Scenario.snapshotInLogs(status.latestMoverStatus?.logs);
    assert.ok(c.id, `the mover names the snapshot it made: ${status.latestMoverStatus?.logs}`);
  }
  return b;
}

/** Whether two snapshot IDs name the same snapshot: restic's log gives the short ID (8 hex digits), kopia the whole. */
function sameSnapshot(a: string | undefined, b: string | undefined): boolean {
  return Boolean(a && b && a.length >= 8 && b.length >= 8 && (a.startsWith(b) || b.startsWith(a)));
}

/**
 * In the rebuilt cluster: lifeboat installed with the configuration's repository (no longer declared a first
 * installation), the same namespaces and claims applied, each pinned to its snapshot, restored by the real populator,
 * verified, and checked byte for byte by a real Pod. Then lifeboat, the namespaces and the repository are removed.
 */
async function restoreConfiguration(
  node: RealNodeInfo & { kubeConfig: KubeConfig },
  before: Backed,
  timings: Record<string, number>,
): Promise<void> {
  const first = before.scenarios[0] as Scenario;
  const { scenarios } = scenariosOf(before.configuration, (ns, owner) =>
    owner ? new SameRepository(node, ns, first.prefix) : new Scenario(node, ns),
  );
  const [owner, ...others] = scenarios as [Scenario, ...Scenario[]];
  Object.assign(owner.timings, timings);
  const t0 = Date.now();
  try {
    const { secret, config } = before.configuration.repository(owner);
    assert.deepEqual(secret, before.secret, 'the same repository credentials');
    if (owner.exportDir) {
      // The NFS-like server kept the export through the rebuild, with the repository the movers wrote.
      assert.ok(
        readdirSync(owner.exportDir).includes('kopia.repository.f'),
        `the export ${owner.exportDir} still holds the repository`,
      );
    }
    const repository = { ...(config.repository as Record<string, unknown>) };
    delete repository.firstInstall;
    await owner.start(secret, { ...config, repository });
    for (const o of others) await o.createNamespace();
    const again = before.claims.map((c) => ({
      ...c,
      s: scenarios[before.scenarios.indexOf(c.s)] as Scenario,
    }));
    for (const c of again) {
      const created = await c.s.step(`${c.pvc}: applied again`, () => c.s.createPvc(c.pvc));
      assert.equal(created.spec.dataSourceRef?.kind, 'ReplicationDestination', `${c.pvc} is restored`);
      const pinned = created.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION];
      assert.ok(sameSnapshot(pinned, c.id), `${c.pvc} pinned to its backup ${c.id}: ${pinned}`);
    }
    for (const c of again) {
      const where = `${c.s.namespace}/${c.pvc}`;
      await c.s.step(`${where}: restored until Bound`, () => c.s.bound(c.pvc));
      const annotations = await c.s.step(`${where}: verdict`, () =>
        eventually(
          `restore verdict of ${where}`,
          async () => {
            const a = (await c.s.kube.get<Claim>(c.s.pvcRef(c.pvc)))?.metadata.annotations;
            return a?.[RESTORE_VERDICT_ANNOTATION] ? a : undefined;
          },
          120_000,
          500,
        ),
      );
      assert.match(annotations[RESTORE_VERDICT_ANNOTATION] ?? '', /^verified: /);
      const from = annotations[RESTORED_FROM_ANNOTATION]?.split(' ')[0];
      assert.ok(sameSnapshot(from, c.id), `${where} restored from ${c.id}: ${annotations[RESTORED_FROM_ANNOTATION]}`);
      const check = await c.s.step(`${where}: checker pod`, () =>
        checkKnownFiles(c.s.kube, c.s.namespace, c.pvc, node.toolsImage),
      );
      assert.equal(check.exitCode, 0, `${where}: restored bytes differ: ${check.message}`);
      assert.equal(check.message, c.manifest, `${where}: exactly the files backed up before`);
    }
    owner.timings[`${before.configuration.name}: restored and checked`] = Date.now() - t0;
  } finally {
    for (const o of others) {
      await o.deleteNamespace().catch((error: Error) => process.stderr.write(`[realnode] ${error.message}\n`));
      o.kube.close();
      process.stderr.write(
        `[realnode] ${o.namespace} after the rebuild, step timings (ms): ${JSON.stringify(o.timings)}\n`,
      );
    }
    await owner.stop();
  }
}

/** A scenario of the rebuilt cluster on the repository of the first cluster's scenario (its bucket prefix). */
class SameRepository extends Scenario {
  override readonly prefix: string;
  constructor(node: RealNodeInfo & { kubeConfig: KubeConfig }, namespace: string, prefix: string) {
    super(node, namespace);
    this.prefix = prefix;
  }
}
