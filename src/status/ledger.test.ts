import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESTORE_REQUEST_ANNOTATION, RESTORE_VERDICT_ANNOTATION, RESTORED_FROM_ANNOTATION } from '../config/keys.ts';
import { loadConfig } from '../config/load.ts';
import type { Decision } from '../decision/decide.ts';
import type { Namespace, OwnerReference, PersistentVolumeClaim } from '../intent/resources.ts';
import { generatedMetadata } from '../plan/metadata.ts';
import { formatStandbyRecord, STANDBY_RECORD_ANNOTATION, SYNC_FIELD_MANAGER } from '../plan/standby.ts';
import type { Snapshot } from '../repository/types.ts';
import { filterLedger, summarizeRows } from './filter.ts';
import { buildLedger } from './ledger.ts';
import { ledgerTable } from './table.ts';
import type { Ledger, LedgerInput, LedgerRow, ReplicationObject } from './types.ts';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const config = loadConfig(
  'namespace: lifeboat-system\ntiers:\n  hourly: { trigger: { schedule: "H * * * *" }, retain: { hourly: 24 } }\n  manual: { trigger: { manual: on-demand }, retain: { last: 3 } }\n',
);

const optedIn: Namespace = { metadata: { name: 'app', annotations: { 'volsync.backube/privileged-movers': 'true' } } };
const plain: Namespace = { metadata: { name: 'plain' } };
const system: Namespace = { metadata: { name: 'kube-system' } };

function pvc(
  name: string,
  opts: {
    ns?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    phase?: string;
    ageMs?: number;
    owners?: OwnerReference[];
  } = {},
): PersistentVolumeClaim {
  return {
    metadata: {
      name,
      namespace: opts.ns ?? 'app',
      uid: `uid-${name}`,
      creationTimestamp: iso(NOW - (opts.ageMs ?? 30 * 24 * HOUR)),
      labels: opts.labels ?? {},
      annotations: opts.annotations ?? {},
      ...(opts.owners ? { ownerReferences: opts.owners } : {}),
    },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    status: { phase: opts.phase ?? 'Bound' },
  };
}

function rs(
  name: string,
  opts: { lastSync?: number; result?: string; createdAgo?: number; ns?: string } = {},
): ReplicationObject {
  return {
    apiVersion: 'volsync.backube/v1alpha1',
    kind: 'ReplicationSource',
    metadata: {
      ...generatedMetadata(`${name}-backup`, opts.ns ?? 'app', name),
      creationTimestamp: iso(NOW - (opts.createdAgo ?? 10 * 24 * HOUR)),
      ownerReferences: [{ kind: 'PersistentVolumeClaim', name, uid: `uid-${name}` }],
    },
    spec: { trigger: { schedule: '0 * * * *' } },
    status: {
      ...(opts.lastSync !== undefined ? { lastSyncTime: iso(opts.lastSync) } : {}),
      ...(opts.result ? { latestMoverStatus: { result: opts.result } } : {}),
    },
  };
}

const snapshot = (id: string, ms: number): Snapshot => ({ id, time: iso(ms), timeMs: ms });

function rd(
  name: string,
  opts: {
    ns?: string;
    record?: Snapshot;
    token?: string;
    lastManualSync?: string;
    image?: string | null;
    lastSync?: number;
    snapshotsFound?: number;
    request?: string;
    extra?: Record<string, string>;
  } = {},
): ReplicationObject {
  const token = opts.token ?? 'sync-1';
  const annotations: Record<string, string> = {};
  if (opts.record) {
    annotations[STANDBY_RECORD_ANNOTATION] = formatStandbyRecord({
      snapshotId: opts.record.id,
      snapshotTime: opts.record.time,
      token,
    });
  }
  if (opts.request) annotations[RESTORE_REQUEST_ANNOTATION] = opts.request;
  Object.assign(annotations, opts.extra);
  const meta = generatedMetadata(`${name}-restore`, opts.ns ?? 'app', name, { annotations });
  return {
    apiVersion: 'volsync.backube/v1alpha1',
    kind: 'ReplicationDestination',
    // lifeboat's last arm, as the API server recorded it: an hour ago.
    metadata: { ...meta, managedFields: [{ manager: SYNC_FIELD_MANAGER, operation: 'Apply', time: iso(NOW - HOUR) }] },
    spec: { trigger: { manual: token }, kopia: {} },
    status: {
      lastManualSync: opts.lastManualSync ?? token,
      ...(opts.image !== null ? { latestImage: { name: opts.image ?? `img-${name}` } } : {}),
      ...(opts.lastSync !== undefined ? { lastSyncTime: iso(opts.lastSync) } : {}),
      ...(opts.snapshotsFound !== undefined ? { kopia: { snapshotsFound: opts.snapshotsFound } } : {}),
    },
  };
}

function restoreDecision(...snapshots: Snapshot[]): Decision {
  return {
    decision: 'restore',
    authoritative: true,
    cause: 'snapshots-found',
    message: 'found',
    snapshots,
    ...(snapshots[0] ? { newest: snapshots[0] } : {}),
    checkpoints: [],
  };
}
const fresh: Decision = {
  decision: 'fresh',
  authoritative: true,
  cause: 'no-snapshots',
  message: 'none',
  snapshots: [],
  checkpoints: [],
};
const unknown = (last: Snapshot[]): Decision => ({
  decision: 'unknown',
  authoritative: false,
  cause: 'repository-unreachable',
  message: 'unreachable',
  snapshots: last,
  checkpoints: [],
});

function ledger(partial: Partial<LedgerInput>): LedgerRow[] {
  return built(partial).rows;
}

function built(partial: Partial<LedgerInput>): Ledger {
  return buildLedger({
    config,
    now: NOW,
    cluster: { volsync: 'kopia-fork', externalSecrets: true },
    sourceSecret: { state: 'not-read' },
    pvcs: [],
    namespaces: [optedIn, plain, system],
    replication: [],
    graceMs: HOUR,
    ...partial,
  });
}

const cnpg: OwnerReference[] = [{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'pg', controller: true }];
const cnpgLabels = { 'cnpg.io/cluster': 'pg', 'cnpg.io/pvcRole': 'PG_DATA' };
const s1 = snapshot('s1', NOW - 2 * HOUR);
const s2 = snapshot('s2', NOW - 20 * 60_000);
const hourly = { backup: 'hourly' };

describe('buildLedger: verdicts (from the planner)', () => {
  const table: {
    name: string;
    input: Partial<LedgerInput>;
    expect: Partial<LedgerRow> | undefined;
  }[] = [
    {
      name: 'protected, backed up 20 min ago, restore point current',
      input: {
        pvcs: [pvc('web', { labels: hourly })],
        replication: [
          rs('web', { lastSync: NOW - 20 * 60_000, result: 'Successful' }),
          rd('web', { record: s2, lastSync: NOW - 10 * 60_000 }),
        ],
        decisions: new Map([['app/web', restoreDecision(s2, s1)]]),
      },
      expect: {
        tier: 'hourly',
        verdict: 'protected',
        reason: 'BackupConfigured',
        phase: 'Bound',
        snapshots: { decision: 'restore', cause: 'snapshots-found', count: 2, newestId: 's2', newestTime: s2.time },
        backup: { source: 'web-backup', lastSyncTime: iso(NOW - 20 * 60_000), lastResult: 'Successful' },
        stale: false,
        staleReason: null,
        restorePoint: {
          destination: 'web-restore',
          snapshotId: 's2',
          snapshotTime: s2.time,
          syncedAt: iso(NOW - 10 * 60_000),
          ageSeconds: 20 * 60,
          restoreInProgress: null,
        },
        restoreReady: { ready: true, why: `holds snapshot s2 from ${s2.time}` },
      },
    },
    {
      name: 'protected, last backup 3 h ago and the last sync failed: stale beyond hourly + 1 h grace',
      input: {
        pvcs: [pvc('web', { labels: hourly })],
        replication: [rs('web', { lastSync: NOW - 3 * HOUR, result: 'Failed' }), rd('web', { record: s1 })],
        decisions: new Map([['app/web', restoreDecision(snapshot('s0', NOW - 3 * HOUR))]]),
      },
      expect: {
        verdict: 'protected',
        stale: true,
        staleReason: `last successful backup ${iso(NOW - 3 * HOUR)}, 3h ago (allowed: 1h schedule period + 1h grace)`,
        backup: { source: 'web-backup', lastSyncTime: iso(NOW - 3 * HOUR), lastResult: 'Failed' },
      },
    },
    {
      name: 'protected, never backed up, source created 5 h ago: stale',
      input: {
        pvcs: [pvc('web', { labels: hourly })],
        replication: [rs('web', { createdAgo: 5 * HOUR })],
        decisions: new Map([['app/web', fresh]]),
      },
      expect: {
        verdict: 'protected',
        stale: true,
        staleReason: `no successful backup since the ReplicationSource was created ${iso(NOW - 5 * HOUR)} (allowed: 1h schedule period + 1h grace)`,
        restoreReady: { ready: false, why: 'no restore point: the ReplicationDestination is missing' },
      },
    },
    {
      name: 'protected, never backed up, source created 30 min ago: not stale yet',
      input: { pvcs: [pvc('web', { labels: hourly })], replication: [rs('web', { createdAgo: 30 * 60_000 })] },
      expect: { verdict: 'protected', stale: false },
    },
    {
      name: 'protected but the source is missing: stale (the controller is not doing its job)',
      input: { pvcs: [pvc('web', { labels: hourly })] },
      expect: {
        verdict: 'protected',
        stale: true,
        staleReason: 'no ReplicationSource exists although the PVC is protected: is the lifeboat controller running?',
        backup: null,
      },
    },
    {
      name: 'manual tier: never stale, whatever the age of its last backup',
      input: {
        pvcs: [pvc('web', { labels: { backup: 'manual' } })],
        replication: [rs('web', { lastSync: NOW - 90 * 24 * HOUR })],
      },
      expect: { tier: 'manual', verdict: 'protected', stale: false },
    },
    {
      name: 'waiting for bind',
      input: { pvcs: [pvc('web', { labels: hourly, phase: 'Pending' })] },
      expect: { verdict: 'waiting', reason: 'WaitingForBind', phase: 'Pending', stale: false },
    },
    {
      name: 'waiting for the minimum age',
      input: { pvcs: [pvc('web', { labels: hourly, ageMs: 30 * 60_000 })] },
      expect: { verdict: 'waiting', reason: 'WaitingForMinAge', stale: false },
    },
    {
      name: 'exempt with a reason: no restore readiness',
      input: {
        pvcs: [
          pvc('cache', {
            labels: { 'backup-exempt': 'true' },
            annotations: { 'lifeboat.dev/backup-exempt-reason': 'cache' },
          }),
        ],
      },
      expect: {
        tier: null,
        verdict: 'exempt',
        reason: 'BackupExempt',
        message: 'cache',
        restoreReady: null,
        snapshots: null,
      },
    },
    {
      name: 'exempt without a reason: needs attention',
      input: { pvcs: [pvc('cache', { labels: { 'backup-exempt': 'true' } })] },
      expect: { verdict: 'needs-attention', reason: 'ExemptWithoutReason' },
    },
    {
      name: 'unknown tier: needs attention, with the suggestion',
      input: { pvcs: [pvc('web', { labels: { backup: 'hourlyy' } })] },
      expect: { tier: 'hourlyy', verdict: 'needs-attention', reason: 'UnknownTier' },
    },
    {
      name: 'labelled in a namespace that has not opted in',
      input: { pvcs: [pvc('web', { ns: 'plain', labels: hourly })] },
      expect: { verdict: 'needs-attention', reason: 'NamespaceNotOptedIn' },
    },
    {
      name: 'unlabelled in an opted-in namespace: someone must decide',
      input: { pvcs: [pvc('scratch')] },
      expect: { tier: null, verdict: 'needs-attention', reason: 'Unlabelled', restoreReady: null },
    },
    {
      name: 'unlabelled in a namespace that has not opted in: not lifeboat’s',
      input: { pvcs: [pvc('x', { ns: 'plain' })] },
      expect: undefined,
    },
    {
      name: 'unlabelled in a system namespace: not lifeboat’s',
      input: { pvcs: [pvc('x', { ns: 'kube-system' })] },
      expect: undefined,
    },
    {
      name: 'labelled in a system namespace: needs attention (it will never be backed up)',
      input: { pvcs: [pvc('x', { ns: 'kube-system', labels: hourly })] },
      expect: { verdict: 'needs-attention', reason: 'SystemNamespace' },
    },
    {
      name: 'unlabelled CloudNativePG claim in an opted-in namespace: database, native backup expected',
      input: { pvcs: [pvc('pg-1', { labels: cnpgLabels, owners: cnpg })] },
      expect: {
        tier: null,
        verdict: 'database',
        reason: 'NativeBackupExpected',
        message:
          'database: native backup expected (operator cloudnative-pg, ownerReference postgresql.cnpg.io/v1 Cluster pg); lifeboat makes no copy',
        database: { operator: 'cloudnative-pg', evidence: 'ownerReference postgresql.cnpg.io/v1 Cluster pg' },
        restoreReady: null,
      },
    },
    {
      name: 'unlabelled database claim in a namespace that did not opt in: no row (like any unlabelled PVC there)',
      input: { pvcs: [pvc('pg-1', { ns: 'plain', labels: cnpgLabels, owners: cnpg })] },
      expect: undefined,
    },
    {
      name: 'labelled database claim: protected as asked, the row names the operator (a file-level copy)',
      input: { pvcs: [pvc('pg-1', { labels: { ...cnpgLabels, ...hourly } })] },
      expect: {
        tier: 'hourly',
        verdict: 'protected',
        reason: 'BackupConfigured',
        database: { operator: 'cloudnative-pg', evidence: 'label cnpg.io/cluster=pg' },
      },
    },
    {
      name: 'database claim exempt with the suggested reason: exempt',
      input: {
        pvcs: [
          pvc('pg-1', {
            labels: { ...cnpgLabels, 'backup-exempt': 'true' },
            annotations: { 'lifeboat.dev/backup-exempt-reason': 'database-native' },
            owners: cnpg,
          }),
        ],
      },
      expect: { verdict: 'exempt', message: 'database-native', restoreReady: null },
    },
    {
      name: 'an ordinary unlabelled PVC: still needs attention, no operator',
      input: { pvcs: [pvc('scratch')] },
      expect: { verdict: 'needs-attention', reason: 'Unlabelled', database: null },
    },
    {
      name: 'copy-mode source Secret missing: needs attention',
      input: { pvcs: [pvc('web', { labels: hourly })], sourceSecret: { state: 'not-found' } },
      expect: { verdict: 'needs-attention', reason: 'WaitingForCredentials' },
    },
    {
      name: 'a generated name taken by someone else: conflict',
      input: {
        pvcs: [pvc('web', { labels: hourly })],
        conflicts: new Map([['app/web', 'ReplicationSource app/web-backup is not lifeboat’s']]),
      },
      expect: {
        verdict: 'conflict',
        reason: 'NameConflict',
        message: 'ReplicationSource app/web-backup is not lifeboat’s',
      },
    },
    {
      name: 'restore point whose PVC is gone, with a restore in progress',
      input: {
        replication: [
          rd('gone', {
            record: s2,
            request: JSON.stringify({
              snapshotId: 's1',
              snapshotTime: s1.time,
              requestedAt: iso(NOW),
              step: 'pvc-deleted',
              replicas: [],
            }),
          }),
        ],
        decisions: new Map([['app/gone', restoreDecision(s2, s1)]]),
      },
      expect: {
        namespace: 'app',
        pvc: 'gone',
        tier: null,
        verdict: 'restore-point-only',
        reason: 'PvcDeleted',
        phase: null,
        backup: null,
        restorePoint: {
          destination: 'gone-restore',
          snapshotId: 's2',
          snapshotTime: s2.time,
          syncedAt: null,
          ageSeconds: 20 * 60,
          restoreInProgress: 'pvc-deleted',
        },
        restoreReady: { ready: true, why: `holds snapshot s2 from ${s2.time}` },
      },
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const rows = ledger(c.input);
      if (c.expect === undefined) return assert.deepEqual(rows, []);
      assert.equal(rows.length, 1, JSON.stringify(rows));
      const row = rows[0] as LedgerRow;
      for (const [field, value] of Object.entries(c.expect)) {
        assert.deepEqual(row[field as keyof LedgerRow], value, field);
      }
    });
  }

  it('sorts rows, counts them by verdict, stale, not ready and restores not verified', () => {
    const evidence = {
      [RESTORE_VERDICT_ANNOTATION]: 'mismatch: the mover restored snapshot 9f8e7d6c instead of 1a2b3c4d',
      [RESTORED_FROM_ANNOTATION]: '9f8e7d6c 2026-02-20T04:00:00.000Z',
    };
    const built = buildLedger({
      config,
      now: NOW,
      cluster: { volsync: 'kopia-fork' },
      sourceSecret: { state: 'not-read' },
      namespaces: [optedIn],
      pvcs: [
        pvc('b-web', { labels: hourly, annotations: { [RESTORE_VERDICT_ANNOTATION]: 'verified: restored it' } }),
        pvc('a-scratch'),
        pvc('c-new', { labels: hourly, phase: 'Pending', annotations: evidence }),
      ],
      replication: [rd('z-gone'), rs('b-web', { createdAgo: 10 * HOUR })],
      graceMs: HOUR,
    });
    assert.deepEqual(
      built.rows.map((r) => `${r.pvc}:${r.verdict}`),
      ['a-scratch:needs-attention', 'b-web:protected', 'c-new:waiting', 'z-gone:restore-point-only'],
    );
    assert.deepEqual(built.summary, {
      total: 4,
      byVerdict: {
        protected: 1,
        waiting: 1,
        exempt: 0,
        database: 0,
        conflict: 0,
        'needs-attention': 1,
        'restore-point-only': 1,
      },
      stale: 1,
      restoreNotReady: 3,
      restoreNotVerified: 1,
      databaseFileCopies: 0,
      notProven: 0,
      drillsFailing: 0,
    });
    assert.deepEqual(
      built.rows.map((r) => r.restored?.outcome ?? '-'),
      ['-', 'verified', 'mismatch', '-'],
    );
    assert.deepEqual(built.rows[2]?.restored, {
      outcome: 'mismatch',
      message: 'the mover restored snapshot 9f8e7d6c instead of 1a2b3c4d',
      from: '9f8e7d6c 2026-02-20T04:00:00.000Z',
    });
    const { rows, footer } = ledgerTable(built);
    const table = `${rows.map((r) => r.join(' ')).join('\n')}\n${footer}`;
    assert.match(table, /MISMATCH 9f8e7d6c 2026-02-20T04:00:00.000Z/);
    assert.match(table, /1 restores NOT VERIFIED/);
    assert.equal(built.generatedAt, iso(NOW));
  });
});

describe('buildLedger: database operators’ claims in the summary and the table', () => {
  it('counts database rows and file copies, and says both in the table', () => {
    const result = built({
      pvcs: [
        pvc('pg-1', { labels: cnpgLabels, owners: cnpg }),
        pvc('pg-2', { labels: cnpgLabels, owners: cnpg }),
        pvc('maria-0', { labels: { 'pvc.k8s.mariadb.com/role': 'storage', ...hourly } }),
        pvc('web', { labels: hourly }),
      ],
    });
    assert.equal(result.summary.byVerdict.database, 2);
    assert.equal(result.summary.byVerdict.protected, 2);
    assert.equal(result.summary.databaseFileCopies, 1);
    assert.deepEqual(
      filterLedger(result, { verdicts: ['database'] }).rows.map((r) => r.pvc),
      ['pg-1', 'pg-2'],
    );
    const { rows, footer } = ledgerTable(result);
    const verdicts = Object.fromEntries(rows.slice(1).map((r) => [r[1], r[3]]));
    assert.deepEqual(verdicts, {
      // No ReplicationSource in the input: both protected rows are stale.
      'maria-0': 'protected, STALE (database file copy)',
      'pg-1': 'database: native backup expected',
      'pg-2': 'database: native backup expected',
      web: 'protected, STALE',
    });
    assert.match(footer, /4 PVCs: 2 protected, 2 database; .*, 1 database file copies/);
  });
});

describe('buildLedger: restore drills (proof and last drill)', () => {
  const DAY = 24 * HOUR;
  const drill = (outcome: string, agoMs: number) =>
    JSON.stringify({ outcome, at: iso(NOW - agoMs), snapshotId: 'k1', message: 'm' });
  const cases: { name: string; extra: Record<string, string>; column: string; overdue: boolean; failing: boolean }[] = [
    { name: 'never drilled', extra: {}, column: 'never', overdue: true, failing: false },
    {
      name: 'proven 3 days ago',
      extra: {
        'lifeboat.dev/restore-proven': `${iso(NOW - 3 * DAY).replace('.000', '')} k1`,
        'lifeboat.dev/restore-drill': drill('passed', 3 * DAY),
      },
      column: '2026-05-29T12:00:00.000Z (3d)',
      overdue: false,
      failing: false,
    },
    {
      name: 'proof older than verify.maxAge',
      extra: {
        'lifeboat.dev/restore-proven': `${iso(NOW - 20 * DAY)} k1`,
        'lifeboat.dev/restore-drill': drill('passed', 20 * DAY),
      },
      column: '2026-05-12T12:00:00.000Z (20d) OVERDUE',
      overdue: true,
      failing: false,
    },
    {
      name: 'the last drill failed, an older proof stays',
      extra: {
        'lifeboat.dev/restore-proven': `${iso(NOW - 8 * DAY)} k0`,
        'lifeboat.dev/restore-drill': drill('counts-differ', HOUR),
      },
      column: 'COUNTS-DIFFER (proven: 8d ago)',
      overdue: false,
      failing: true,
    },
    {
      name: 'the first drill failed',
      extra: { 'lifeboat.dev/restore-drill': drill('mover-failed', HOUR) },
      column: 'MOVER-FAILED (proven: never)',
      overdue: true,
      failing: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ledger = buildLedger({
        config,
        now: NOW,
        cluster: { volsync: 'kopia-fork' },
        sourceSecret: { state: 'not-read' },
        namespaces: [optedIn],
        pvcs: [pvc('web', { labels: hourly })],
        replication: [rd('web', { extra: c.extra }), rs('web', { lastSync: NOW - HOUR })],
        graceMs: HOUR,
      });
      const row = ledger.rows[0] as LedgerRow;
      assert.equal(row.proven?.overdue, c.overdue);
      assert.equal(ledger.summary.notProven, c.overdue ? 1 : 0);
      assert.equal(ledger.summary.drillsFailing, c.failing ? 1 : 0);
      const { rows, footer } = ledgerTable(ledger);
      const at = rows[0]?.indexOf('PROVEN') ?? -1;
      assert.equal(rows[1]?.[at], c.column);
      if (c.failing) assert.match(footer, /1 restore drills FAILING/);
    });
  }
});

describe('buildLedger: restore readiness (docs/design.md#status)', () => {
  const table: {
    name: string;
    rd?: ReplicationObject;
    decision?: Decision;
    snapshots?: Map<string, { ready: boolean; createdAt?: string }>;
    why: string | true;
  }[] = [
    { name: 'no RD', why: 'no restore point: the ReplicationDestination is missing' },
    { name: 'nothing backed up yet', rd: rd('web', { record: s1 }), decision: fresh, why: 'no backup to restore yet' },
    {
      name: 'sync in flight',
      rd: rd('web', { record: s2, token: 'sync-9', lastManualSync: 'sync-8' }),
      decision: restoreDecision(s2),
      why: 'sync sync-9 in flight',
    },
    {
      name: 'never synced',
      rd: { ...rd('web'), spec: { kopia: {} }, status: {} },
      decision: restoreDecision(s2),
      why: 'never synced',
    },
    {
      name: 'no image',
      rd: rd('web', { record: s2, image: null }),
      decision: restoreDecision(s2),
      why: 'sync sync-1 published no image',
    },
    {
      name: 'image from a sync lifeboat did not record',
      rd: rd('web', { token: 'restore-once' }),
      decision: restoreDecision(s2),
      why: 'the image comes from sync restore-once, which lifeboat did not record',
    },
    {
      name: 'VolumeSnapshot missing',
      rd: rd('web', { record: s2 }),
      decision: restoreDecision(s2),
      snapshots: new Map(),
      why: 'VolumeSnapshot img-web is missing',
    },
    {
      name: 'VolumeSnapshot not ready',
      rd: rd('web', { record: s2 }),
      decision: restoreDecision(s2),
      snapshots: new Map([['app/img-web', { ready: false, createdAt: iso(NOW - HOUR / 2) }]]),
      why: 'VolumeSnapshot img-web is not readyToUse',
    },
    {
      name: "the image was made before lifeboat's last arm (an earlier run's, docs/design.md#standby-evidence)",
      rd: rd('web', { record: s2, snapshotsFound: 2 }),
      decision: restoreDecision(s2, s1),
      snapshots: new Map([['app/img-web', { ready: true, createdAt: iso(NOW - 2 * HOUR) }]]),
      why:
        `behind: its image, VolumeSnapshot img-web, was created ${iso(NOW - 2 * HOUR)}, before sync sync-1 was armed ` +
        `at ${iso(NOW - HOUR)}: it holds an earlier run's data`,
    },
    {
      name: 'kopia mover found nothing (an empty image, docs/design.md#empty-restore-reported-as-success)',
      rd: rd('web', { record: s2, snapshotsFound: 0 }),
      decision: restoreDecision(s2),
      why: 'the kopia mover found no snapshots to restore',
    },
    {
      name: 'catalog cannot tell',
      rd: rd('web', { record: s2 }),
      decision: unknown([s2]),
      why: 'cannot compare with the repository: repository-unreachable',
    },
    {
      name: 'behind the newest snapshot (docs/design.md#stale-restore)',
      rd: rd('web', { record: s1 }),
      decision: restoreDecision(s2, s1),
      why: `behind: holds s1 from ${s1.time}, the newest is s2 from ${s2.time}`,
    },
    {
      name: 'the mover restored another snapshot than the one armed (the token alone says current)',
      rd: {
        ...rd('web', { record: s2 }),
        spec: { trigger: { manual: 'sync-1' }, restic: {} },
        status: {
          ...rd('web', { record: s2 }).status,
          latestMoverStatus: {
            result: 'Successful',
            logs: 'restoring snapshot 0badc0de of [/data] at 2026-05-01 09:00:00 +0000 UTC by root@volsync to .',
          },
        },
      },
      decision: restoreDecision(s2, s1),
      why:
        `mismatch: the mover restored snapshot 0badc0de from 2026-05-01T09:00:00.000Z instead of snapshot s2 (${s2.time}): ` +
        'the pinned snapshot was removed before the mover ran, and restoreAsOf fell back to an older one',
    },
    {
      name: 'kopia names nothing and no read of the repository is dated after the sync: not confirmed yet',
      rd: {
        ...rd('web', { record: s2 }),
        status: { ...rd('web', { record: s2 }).status, latestMoverStatus: { result: 'Successful' } },
      },
      decision: restoreDecision(s2, s1),
      why:
        "confirming: the mover's report does not name the snapshot it restored; waiting for a repository read to " +
        `confirm snapshot s2 (${s2.time})`,
    },
    {
      name: 'ready',
      rd: rd('web', { record: s2, snapshotsFound: 2 }),
      decision: restoreDecision(s2, s1),
      snapshots: new Map([['app/img-web', { ready: true, createdAt: iso(NOW - HOUR / 2) }]]),
      why: true,
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const rows = ledger({
        pvcs: [pvc('web', { labels: hourly })],
        replication: c.rd ? [c.rd] : [],
        ...(c.decision ? { decisions: new Map([['app/web', c.decision]]) } : {}),
        ...(c.snapshots ? { volumeSnapshots: c.snapshots } : {}),
      });
      const ready = rows[0]?.restoreReady;
      if (c.why === true) assert.equal(ready?.ready, true, ready?.why);
      else assert.deepEqual(ready, { ready: false, why: c.why });
    });
  }
});

describe('filterLedger', () => {
  it('narrows the rows and keeps what lies beyond them (maintenance, repository report)', () => {
    const maintenance = {
      result: 'ok',
      message: 'last full maintenance succeeded',
      kopiaMaintenance: 'lifeboat-system/lifeboat-repository-maintenance',
      schedule: '30 4 * * *',
      lastMaintenanceTime: '2026-05-01T04:31:00Z',
      nextScheduledMaintenance: null,
      failures: 0,
      overdueAfterSeconds: 172_800,
    } as unknown as Ledger['maintenance'];
    const ledger: Ledger = {
      generatedAt: '2026-05-01T12:00:00.000Z',
      summary: summarizeRows([]),
      rows: [
        { namespace: 'a', verdict: 'protected' } as LedgerRow,
        { namespace: 'b', verdict: 'waiting' } as LedgerRow,
      ],
      maintenance,
    };
    const filtered = filterLedger(ledger, { namespace: 'a' });
    assert.deepEqual(
      filtered.rows.map((r) => r.namespace),
      ['a'],
    );
    assert.equal(filtered.summary.total, 1);
    assert.equal(filtered.maintenance, maintenance, 'lifeboat status and /audit show the maintenance line');
  });
});
