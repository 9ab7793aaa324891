import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { Namespace } from '../intent/resources.ts';
import { type AdmissionFacts, type AdmissionPvc, checkFacts } from './facts.ts';
import type { BreakGlassScope } from './outcome.ts';
import { assessPvc, breakGlassScope } from './scope.ts';
import { validatePvc } from './validate.ts';

const config = DEFAULT_CONFIG as LifeboatConfig;
const optedIn: Namespace = {
  metadata: { name: 'apps', annotations: { 'volsync.backube/privileged-movers': 'true' } },
};

function pvc(opts: {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: AdmissionPvc['spec'];
  namespace?: string;
}): AdmissionPvc {
  return {
    metadata: {
      name: 'data',
      namespace: opts.namespace ?? 'apps',
      labels: opts.labels ?? { backup: 'hourly' },
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: opts.spec ?? { accessModes: ['ReadWriteOnce'] },
  };
}

const restore: AdmissionFacts = {
  decision: {
    decision: 'restore',
    authoritative: true,
    cause: 'snapshots-found',
    message: 'snapshots-found: 3 restore points',
  },
  restorePoint: 'data-restore',
};
const fresh: AdmissionFacts = {
  decision: { decision: 'fresh', authoritative: true, cause: 'no-snapshots', message: 'no-snapshots: none' },
};
const unknownFacts = (cause: string): AdmissionFacts => ({
  decision: {
    decision: 'unknown',
    authoritative: false,
    cause,
    message: `${cause}: something is wrong; do the specific remedy for ${cause}`,
  },
});
const ours = { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: 'data-restore' };
const skipWithReason = {
  'volsync.backup/skip-restore': 'true',
  'volsync.backup/skip-restore-reason': 'rebuilding the index',
};

interface Row {
  name: string;
  pvc: AdmissionPvc;
  namespace?: Namespace | undefined;
  facts?: AdmissionFacts;
  breakGlass?: BreakGlassScope;
  warning?: RegExp;
  /** undefined: allowed; otherwise the denial's cause and patterns its message must match. */
  denied?: { cause: string; message: RegExp[] };
}

const remedies = [/skip-restore: "true"/, /volsync\.backup\/skip-restore-reason/, /lifeboat\.dev\/break-glass=true/];

const rows: Row[] = [
  { name: 'fresh: allowed', pvc: pvc({}), facts: fresh },
  {
    name: 'fresh with a hand-written restore reference: allowed, warned that it stays Pending',
    pvc: pvc({ spec: { dataSourceRef: ours } }),
    facts: fresh,
    warning: /references ReplicationDestination data-restore but lifeboat found no backup of it/,
  },
  { name: 'restore with lifeboat reference: allowed', pvc: pvc({ spec: { dataSourceRef: ours } }), facts: restore },
  {
    name: 'restore with the reference also copied to dataSource (API server normalisation): allowed',
    pvc: pvc({ spec: { dataSourceRef: ours, dataSource: ours } }),
    facts: restore,
  },
  {
    name: 'restore with the reference naming the PVC namespace explicitly: allowed',
    pvc: pvc({ spec: { dataSourceRef: { ...ours, namespace: 'apps' } } }),
    facts: restore,
  },
  {
    name: 'restore without any reference (another mutator removed it): denied',
    pvc: pvc({}),
    facts: restore,
    denied: {
      cause: 'restore-reference-missing',
      message: [/backups exist for PVC apps\/data/, /snapshots-found/, /Another mutating webhook/, ...remedies],
    },
  },
  {
    name: 'restore with a reference to another RD: denied as mismatch',
    pvc: pvc({ spec: { dataSourceRef: { ...ours, name: 'data-backup' } } }),
    facts: restore,
    denied: {
      cause: 'restore-reference-mismatch',
      message: [/ReplicationDestination\.volsync\.backube\/data-backup/, /Remove spec\.dataSource/, ...remedies],
    },
  },
  {
    name: 'restore with a user-chosen VolumeSnapshot source: denied as mismatch',
    pvc: pvc({ spec: { dataSource: { kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io', name: 's1' } } }),
    facts: restore,
    denied: { cause: 'restore-reference-mismatch', message: [/VolumeSnapshot\.snapshot\.storage\.k8s\.io\/s1/] },
  },
  {
    name: 'restore with the reference in another namespace: denied as mismatch',
    pvc: pvc({ spec: { dataSourceRef: { ...ours, namespace: 'elsewhere' } } }),
    facts: restore,
    denied: { cause: 'restore-reference-mismatch', message: [/not the restore point/] },
  },
  ...['repository-unreachable', 'wrong-password', 'catalog-stale', 'history-missing', 'restore-point-stale'].map(
    (cause): Row => ({
      name: `unknown (${cause}): denied with the cause, its remedy and the ways out`,
      pvc: pvc({}),
      facts: unknownFacts(cause),
      denied: {
        cause,
        message: [
          /cannot tell whether PVC apps\/data has backups/,
          new RegExp(`\\(${cause}: something is wrong; do the specific remedy for ${cause}\\)`),
          /GitOps tools retry/,
          ...remedies,
        ],
      },
    }),
  ),
  {
    name: 'unknown whose message lacks the cause prefix: the cause is prepended',
    pvc: pvc({}),
    facts: { decision: { decision: 'unknown', authoritative: false, cause: 'timeout', message: 'storage slow' } },
    denied: { cause: 'timeout', message: [/\(timeout: storage slow\)/] },
  },
  {
    name: 'restore without a restore point: unknown restore-point-missing, denied',
    pvc: pvc({}),
    facts: { decision: restore.decision },
    denied: { cause: 'restore-point-missing', message: [/no valid ReplicationDestination/, ...remedies] },
  },
  {
    name: 'fresh that is not authoritative: denied',
    pvc: pvc({}),
    facts: { decision: { ...fresh.decision, authoritative: false } },
    denied: { cause: 'not-authoritative', message: [/not authoritative/] },
  },
  {
    name: 'no facts at all for a protected PVC (bug guard): denied',
    pvc: pvc({}),
    denied: { cause: 'decision-error', message: [/lifeboat bug/, /break-glass/] },
  },
  {
    name: 'skip-restore without reason: denied',
    pvc: pvc({ annotations: { 'volsync.backup/skip-restore': 'true' } }),
    facts: restore,
    denied: {
      cause: 'skip-restore-without-reason',
      message: [/volsync\.backup\/skip-restore: "true" but no reason/, /volsync\.backup\/skip-restore-reason/],
    },
  },
  {
    name: 'skip-restore (lifeboat key) with an empty reason: denied',
    pvc: pvc({ annotations: { 'lifeboat.dev/skip-restore': 'true', 'lifeboat.dev/skip-restore-reason': '  ' } }),
    facts: restore,
    denied: { cause: 'skip-restore-without-reason', message: [/lifeboat\.dev\/skip-restore: "true"/] },
  },
  {
    name: 'skip-restore with reason: allowed even with a restore decision and no reference',
    pvc: pvc({ annotations: skipWithReason }),
    facts: restore,
  },
  {
    name: 'skip-restore with reason: allowed even when the decision is unknown',
    pvc: pvc({ annotations: skipWithReason }),
    facts: unknownFacts('wrong-password'),
  },
  {
    name: 'skip-restore with lifeboat key and the compat reason key: allowed',
    pvc: pvc({ annotations: { 'lifeboat.dev/skip-restore': 'true', 'volsync.backup/skip-restore-reason': 'x' } }),
    facts: restore,
  },
  {
    name: 'skip-restore "yes": denied as malformed',
    pvc: pvc({ annotations: { 'volsync.backup/skip-restore': 'yes', 'volsync.backup/skip-restore-reason': 'x' } }),
    facts: restore,
    denied: { cause: 'skip-restore-malformed', message: [/"yes" is neither "true" nor "false"/] },
  },
  {
    name: 'skip-restore keys disagreeing: denied as malformed',
    pvc: pvc({ annotations: { 'volsync.backup/skip-restore': 'true', 'lifeboat.dev/skip-restore': 'false' } }),
    facts: restore,
    denied: { cause: 'skip-restore-malformed', message: [/disagree/] },
  },
  {
    name: 'skip-restore "false" with a restore decision and reference: allowed',
    pvc: pvc({ annotations: { 'volsync.backup/skip-restore': 'false' }, spec: { dataSourceRef: ours } }),
    facts: restore,
  },
  {
    name: 'invalid tier: denied with the intent message',
    pvc: pvc({ labels: { backup: 'hourlyy' } }),
    facts: fresh,
    denied: { cause: 'invalid-intent', message: [/UnknownTier/, /did you mean "hourly"/, /break-glass/] },
  },
  {
    name: 'backup and exempt labels together: denied',
    pvc: pvc({ labels: { backup: 'daily', 'backup-exempt': 'true' } }),
    facts: fresh,
    denied: { cause: 'invalid-intent', message: [/ConflictingIntent/] },
  },
  {
    name: 'namespace unknown: denied fail-closed',
    pvc: pvc({}),
    namespace: undefined,
    facts: fresh,
    denied: { cause: 'namespace-unknown', message: [/could not read namespace apps/, /RBAC/] },
  },
  { name: 'namespace not opted in: allowed', pvc: pvc({}), namespace: { metadata: { name: 'apps' } }, facts: restore },
  { name: 'excluded namespace: allowed', pvc: pvc({ namespace: 'longhorn-system' }), facts: unknownFacts('corrupt') },
  { name: 'unlabelled: allowed', pvc: pvc({ labels: {} }), facts: unknownFacts('corrupt') },
  {
    name: 'break-glass (namespace): unknown allowed with a warning',
    pvc: pvc({}),
    facts: unknownFacts('wrong-password'),
    breakGlass: 'namespace',
  },
  {
    name: 'break-glass (global): missing reference allowed with a warning',
    pvc: pvc({}),
    facts: restore,
    breakGlass: 'global',
  },
];

describe('validatePvc', () => {
  for (const row of rows) {
    it(row.name, () => {
      const namespace = 'namespace' in row ? row.namespace : optedIn;
      const scope = assessPvc(row.pvc, namespace, config);
      const facts = row.facts ? checkFacts(row.facts) : undefined;
      const outcome = validatePvc({
        pvc: row.pvc,
        scope,
        ...(facts ? { facts } : {}),
        ...(row.breakGlass ? { breakGlass: row.breakGlass } : {}),
      });
      assert.equal(outcome.patch, undefined, 'validation never patches');
      if (row.warning) assert.match(outcome.warnings.join('\n'), row.warning);
      else if (!row.breakGlass) assert.doesNotMatch(outcome.warnings.join('\n'), /found no backup/);
      if (!row.denied) {
        assert.equal(outcome.allowed, true, outcome.denial?.message);
        if (row.breakGlass) {
          assert.equal(outcome.result, 'break-glass');
          assert.equal(outcome.breakGlass, row.breakGlass);
          assert.ok(outcome.denial, 'the overridden denial is kept for metrics');
          assert.match(outcome.warnings.join('\n'), /lifeboat break-glass: .* allowed although it would deny/);
        } else {
          assert.equal(outcome.result, 'allowed');
        }
        return;
      }
      assert.equal(outcome.allowed, false);
      assert.equal(outcome.result, 'denied');
      assert.equal(outcome.denial?.cause, row.denied.cause);
      assert.equal(outcome.denial?.code, 403);
      for (const pattern of row.denied.message) assert.match(outcome.denial?.message ?? '', pattern);
    });
  }
});

describe('breakGlassScope', () => {
  it('global wins, then the namespace label "true" (only that value)', () => {
    const labelled = (value: string): Namespace => ({
      metadata: { name: 'x', labels: { 'lifeboat.dev/break-glass': value } },
    });
    assert.equal(breakGlassScope(undefined, true), 'global');
    assert.equal(breakGlassScope(labelled('true'), true), 'global');
    assert.equal(breakGlassScope(labelled('true'), false), 'namespace');
    assert.equal(breakGlassScope(labelled('yes'), false), undefined);
    assert.equal(breakGlassScope(undefined, false), undefined);
  });
});
