import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { Namespace } from '../intent/resources.ts';
import { type AdmissionFacts, type AdmissionPvc, checkFacts } from './facts.ts';
import { mutatePvc } from './mutate.ts';
import { assessPvc } from './scope.ts';

const config = DEFAULT_CONFIG as LifeboatConfig;
const optedIn: Namespace = {
  metadata: { name: 'apps', annotations: { 'volsync.backube/privileged-movers': 'true' } },
};

function pvc(opts: {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: AdmissionPvc['spec'] | null;
  namespace?: string;
}): AdmissionPvc {
  const claim: AdmissionPvc = {
    metadata: {
      name: 'data',
      namespace: opts.namespace ?? 'apps',
      labels: opts.labels ?? { backup: 'hourly' },
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
  };
  if (opts.spec !== null) claim.spec = opts.spec ?? { accessModes: ['ReadWriteOnce'] };
  return claim;
}

const restore: AdmissionFacts = {
  decision: { decision: 'restore', authoritative: true, cause: 'snapshots-found', message: 'snapshots-found: 3' },
  restorePoint: 'data-restore',
};
const fresh: AdmissionFacts = {
  decision: { decision: 'fresh', authoritative: true, cause: 'no-snapshots', message: 'no-snapshots: none' },
};
const unknown: AdmissionFacts = {
  decision: { decision: 'unknown', authoritative: false, cause: 'wrong-password', message: 'wrong-password: x' },
};
const refTo = (name: string) => ({ apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name });

interface Row {
  name: string;
  pvc: AdmissionPvc;
  namespace?: Namespace | undefined;
  facts?: AdmissionFacts;
  patch?: unknown[];
  warning?: RegExp;
}

const rows: Row[] = [
  {
    name: 'restore: adds spec.dataSourceRef to the restore point',
    pvc: pvc({}),
    facts: restore,
    patch: [{ op: 'add', path: '/spec/dataSourceRef', value: refTo('data-restore') }],
    warning: /restoring apps\/data from ReplicationDestination data-restore/,
  },
  {
    name: 'restore without a spec: adds the whole spec (the path must exist for JSON Patch)',
    pvc: pvc({ spec: null }),
    facts: restore,
    patch: [{ op: 'add', path: '/spec', value: { dataSourceRef: refTo('data-restore') } }],
  },
  {
    name: "restore of a claim copied from an earlier one: that restore's evidence is dropped",
    pvc: pvc({
      annotations: {
        'lifeboat.dev/restore-verdict': 'mismatch: the mover restored snapshot 9f8e7d6c',
        'lifeboat.dev/restored-from': '9f8e7d6c 2026-02-20T04:00:00.000Z',
      },
    }),
    facts: restore,
    patch: [
      { op: 'add', path: '/spec/dataSourceRef', value: refTo('data-restore') },
      { op: 'remove', path: '/metadata/annotations/lifeboat.dev~1restore-verdict' },
      { op: 'remove', path: '/metadata/annotations/lifeboat.dev~1restored-from' },
    ],
  },
  { name: 'fresh: no change', pvc: pvc({}), facts: fresh },
  { name: 'unknown: no change (the validating webhook denies)', pvc: pvc({}), facts: unknown },
  {
    name: 'restore but the user set dataSourceRef: never overridden',
    pvc: pvc({ spec: { dataSourceRef: { kind: 'PersistentVolumeClaim', name: 'other' } } }),
    facts: restore,
  },
  {
    name: 'restore but the user set dataSource: never overridden',
    pvc: pvc({ spec: { dataSource: { kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io', name: 's' } } }),
    facts: restore,
  },
  {
    name: 'reinvocation with lifeboat reference already present: idempotent, no second patch',
    pvc: pvc({ spec: { dataSourceRef: refTo('data-restore') } }),
    facts: restore,
  },
  {
    name: 'skip-restore with a reason: no change, warned',
    pvc: pvc({
      annotations: { 'volsync.backup/skip-restore': 'true', 'volsync.backup/skip-restore-reason': 'migrating' },
    }),
    facts: restore,
    warning: /restore skipped on request/,
  },
  {
    name: 'skip-restore without a reason: no change (validation denies)',
    pvc: pvc({ annotations: { 'lifeboat.dev/skip-restore': 'true' } }),
    facts: restore,
  },
  { name: 'unlabelled: no change', pvc: pvc({ labels: {} }), facts: restore },
  { name: 'excluded namespace: no change', pvc: pvc({ namespace: 'kube-system' }), facts: restore },
  {
    name: 'namespace not opted in: no change, warned',
    pvc: pvc({}),
    namespace: { metadata: { name: 'apps' } },
    facts: restore,
    warning: /not protected: namespace apps has not opted in/,
  },
  { name: 'namespace unknown: no change (validation denies)', pvc: pvc({}), namespace: undefined, facts: restore },
  {
    name: 'exempt: no change',
    pvc: pvc({
      labels: { 'backup-exempt': 'true' },
      annotations: { 'lifeboat.dev/backup-exempt-reason': 'cache' },
    }),
    facts: restore,
  },
  { name: 'invalid tier: no change (validation denies)', pvc: pvc({ labels: { backup: 'hourlyy' } }), facts: restore },
  {
    name: 'restore without a restore point: checkFacts makes it unknown, no change',
    pvc: pvc({}),
    facts: { decision: restore.decision },
  },
  {
    name: 'restore that is not authoritative: unknown, no change',
    pvc: pvc({}),
    facts: { ...restore, decision: { ...restore.decision, authoritative: false } },
  },
];

describe('mutatePvc', () => {
  for (const row of rows) {
    it(row.name, () => {
      const namespace = 'namespace' in row ? row.namespace : optedIn;
      const scope = assessPvc(row.pvc, namespace, config);
      const facts = row.facts ? checkFacts(row.facts) : undefined;
      const outcome = mutatePvc({ pvc: row.pvc, scope, ...(facts ? { facts } : {}) });
      assert.equal(outcome.allowed, true, 'the mutating webhook never denies a well-formed PVC');
      assert.equal(outcome.denial, undefined);
      assert.deepEqual(outcome.patch, row.patch);
      assert.equal(outcome.result, row.patch ? 'patched' : 'allowed');
      if (row.warning) assert.match(outcome.warnings.join('\n'), row.warning);
    });
  }

  it('applying its patch yields a PVC the next call leaves alone (reinvocation is idempotent)', () => {
    const claim = pvc({});
    const scope = assessPvc(claim, optedIn, config);
    const first = mutatePvc({ pvc: claim, scope, facts: checkFacts(restore) });
    const op = first.patch?.[0];
    assert.ok(op?.op === 'add');
    const patched = { ...claim, spec: { ...claim.spec, dataSourceRef: op.value as ReturnType<typeof refTo> } };
    const second = mutatePvc({ pvc: patched, scope: assessPvc(patched, optedIn, config), facts: checkFacts(restore) });
    assert.equal(second.patch, undefined);
  });
});
