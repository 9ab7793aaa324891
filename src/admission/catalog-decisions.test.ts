/**
 * Which snapshot admission pins, from the catalog's facts, a pending `lifeboat restore` request and the PVC's own
 * point in time. The catalog is a table of facts here (its reading of real repositories is tested in
 * test/integration/catalog.test.ts); the ReplicationDestinations are a map, as the reflector's store is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Catalog } from '../catalog/catalog.ts';
import type { PvcFacts } from '../catalog/view.ts';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import { RESTORE_AS_OF_ANNOTATION, RESTORE_REQUEST_ANNOTATION, RESTORE_SNAPSHOT_ANNOTATION } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/client.ts';
import { generatedNames } from '../plan/names.ts';
import { formatRestoreRequest } from '../plan/restore-request.ts';
import type { Snapshot } from '../repository/types.ts';
import { CatalogDecisions } from './catalog-decisions.ts';
import type { AdmissionPvc } from './facts.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const config = DEFAULT_CONFIG as LifeboatConfig;

function snap(id: string, time: string): Snapshot {
  return { id, time, timeMs: Date.parse(time) };
}
const OLD = snap('aaaa', '2026-04-29T02:00:00.000Z');
const NEW = snap('bbbb', '2026-04-30T02:00:00.000Z');

const catalog = {
  lookup: async ({ namespace, pvc }: { namespace: string; pvc: string }): Promise<PvcFacts> => ({
    namespace,
    pvc,
    backend: 'kopia-fs',
    source: `${pvc}-backup@${namespace}:/data`,
    repository: '/repository',
    repositoryPreviouslyHadSnapshots: true,
    view: { observedAtMs: NOW - 10_000, repositoryExists: true, snapshots: [NEW, OLD], repositorySnapshotCount: 2 },
  }),
} as unknown as Catalog;

const request = (snapshot: Snapshot) =>
  formatRestoreRequest({
    snapshotId: snapshot.id,
    snapshotTime: snapshot.time,
    requestedAt: '2026-05-01T11:00:00Z',
    step: 'pvc-deleted',
    replicas: [],
  });

interface Case {
  name: string;
  /** The restore-request annotation on the persistent ReplicationDestination. */
  request?: string;
  /** The PVC's restore-as-of annotation. */
  asOf?: string;
  decision: 'restore' | 'unknown';
  cause?: string;
  snapshot?: string;
  message?: RegExp;
}

const cases: Case[] = [
  { name: 'no request, no point in time: the newest', decision: 'restore', snapshot: NEW.id },
  { name: 'a pending request wins: its snapshot', request: request(OLD), decision: 'restore', snapshot: OLD.id },
  {
    name: 'a request for a snapshot the repository no longer lists: unknown',
    request: request(snap('gone', '2026-04-01T00:00:00Z')),
    decision: 'unknown',
    cause: 'requested-snapshot-missing',
  },
  {
    name: 'an unreadable request is not "no request": unknown, never the newest',
    request: '{"snapshotId": "aaaa"',
    decision: 'unknown',
    cause: 'restore-request-unreadable',
    message: /not JSON .*lifeboat restore shop\/data/,
  },
  {
    name: 'a request without its snapshot time or step: unknown',
    request: JSON.stringify({ snapshotId: OLD.id }),
    decision: 'unknown',
    cause: 'restore-request-unreadable',
    message: /lacks snapshotId, snapshotTime, requestedAt or a known step/,
  },
  {
    name: 'restore-as-of picks the newest at or before it',
    asOf: '2026-04-29T12:00:00Z',
    decision: 'restore',
    snapshot: OLD.id,
  },
  {
    name: 'restore-as-of that is not a time: unknown',
    asOf: 'yesterday',
    decision: 'unknown',
    cause: 'invalid-restore-as-of',
  },
  {
    name: 'restore-as-of before every snapshot: unknown',
    asOf: '2026-01-01T00:00:00Z',
    decision: 'unknown',
    cause: 'no-snapshot-before-as-of',
  },
];

describe('CatalogDecisions: the snapshot admission pins', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const rd = generatedNames('data', config.naming).replicationDestination;
      const destinations = new Map<string, KubeObject>();
      if (c.request !== undefined) {
        destinations.set(`shop/${rd}`, {
          apiVersion: 'volsync.backube/v1alpha1',
          kind: 'ReplicationDestination',
          metadata: { name: rd, namespace: 'shop', annotations: { [RESTORE_REQUEST_ANNOTATION]: c.request } },
        });
      }
      const decisions = new CatalogDecisions({ catalog, config, destinations, now: () => NOW });
      const pvc: AdmissionPvc = {
        metadata: {
          name: 'data',
          namespace: 'shop',
          annotations: c.asOf ? { [RESTORE_AS_OF_ANNOTATION]: c.asOf } : {},
        },
      };
      const answer = await decisions.decideForAdmission('shop', 'data', pvc);
      assert.equal(answer.decision.decision, c.decision, answer.decision.message);
      if (c.cause) assert.equal(answer.decision.cause, c.cause);
      if (c.message) assert.match(answer.decision.message, c.message);
      assert.equal(answer.snapshot?.id, c.snapshot);
      assert.equal(answer.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], c.snapshot);
      if (c.decision === 'unknown') assert.equal(answer.restorePoint, undefined, 'no restore point without a snapshot');
    });
  }
});
