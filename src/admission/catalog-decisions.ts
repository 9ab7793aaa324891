/**
 * The DecisionSource of `lifeboat run`: admission decisions from the in-memory catalog (no repository I/O but the
 * catalog's bounded first read of a per-PVC repository,
 * docs/design.md#slow-backends-inside-the-admission-deadline), the expected-history ledger on the persistent
 * ReplicationDestination (docs/design.md#authoritative-no-over-existing-data: a PVC that had backups and
 * now shows none is `unknown`, never `fresh`), and the freshness design of restore points
 * (docs/design.md#stale-restore): a restore
 * names a destination made for exactly the chosen snapshot — the newest complete one, or the one a pending
 * `lifeboat restore` request or the PVC's `lifeboat.dev/restore-as-of` annotation asks for.
 */
import type { Catalog } from '../catalog/catalog.ts';
import {
  BACKUP_HISTORY_ANNOTATION,
  RESTORE_AS_OF_ANNOTATION,
  RESTORE_REQUEST_ANNOTATION,
  RESTORE_SNAPSHOT_ANNOTATION,
  RESTORE_SNAPSHOT_TIME_ANNOTATION,
} from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { type Decision, decide, type ExpectedHistory } from '../decision/decide.ts';
import type { KubeObject } from '../kube/client.ts';
import { parseHistory } from '../plan/history.ts';
import { generatedNames } from '../plan/names.ts';
import { chooseSnapshot, restorePointName } from '../plan/restore-point.ts';
import { parseRestoreRequest } from '../plan/restore-request.ts';
import type { Snapshot } from '../repository/types.ts';
import type { AdmissionFacts, AdmissionPvc, DecisionSource } from './facts.ts';

export interface CatalogDecisionsOptions {
  catalog: Catalog;
  config: LifeboatConfig;
  /** lifeboat's ReplicationDestinations by `namespace/name` (a reflector's store), for the ledger and requests. */
  destinations: { get(key: string): KubeObject | undefined };
  now?: () => number;
}

export interface CatalogAnswer extends AdmissionFacts {
  /** The full decision (snapshots, newest, cause) for `/exists`, metrics and logs. */
  full: Decision;
  snapshot?: Snapshot;
}

function unknown(full: Decision, cause: string, message: string): CatalogAnswer {
  return { full, decision: { decision: 'unknown', authoritative: false, cause, message } };
}

export class CatalogDecisions implements DecisionSource {
  readonly opts: CatalogDecisionsOptions;

  constructor(opts: CatalogDecisionsOptions) {
    this.opts = opts;
  }

  /** The persistent destination of a PVC, where its ledger and any pending restore request live. */
  destination(namespace: string, pvcName: string): KubeObject | undefined {
    const name = generatedNames(pvcName, this.opts.config.naming).replicationDestination;
    return this.opts.destinations.get(`${namespace}/${name}`);
  }

  /** What the PVC's ledger expects (undefined: no history recorded). Shared with `/exists`. */
  expected(namespace: string, pvcName: string): ExpectedHistory | undefined {
    const annotations = this.destination(namespace, pvcName)?.metadata.annotations;
    const history = parseHistory(annotations?.[BACKUP_HISTORY_ANNOTATION]);
    if (!history) return undefined;
    return {
      hadSnapshots: true,
      ...(history.lastSnapshotId ? { lastSnapshotId: history.lastSnapshotId } : {}),
      ...(history.lastSnapshotTime ? { lastSnapshotTime: history.lastSnapshotTime } : {}),
    };
  }

  /**
   * The decision for one PVC, with the ledger applied. From memory, except the catalog's one bounded, single-flight
   * read of a per-PVC (restic) repository it has not read yet: a new application's first CREATE is answered from
   * its own repository at once instead of being refused until the next refresh.
   */
  async decision(namespace: string, pvcName: string): Promise<Decision> {
    const { catalog, config } = this.opts;
    const facts = await catalog.lookup({ namespace, pvc: pvcName });
    const expected = this.expected(namespace, pvcName);
    return decide({
      facts,
      nowMs: this.opts.now?.() ?? Date.now(),
      staleAfterMs: config.catalog.staleAfter,
      ...(expected ? { expected } : {}),
    });
  }

  async decideForAdmission(namespace: string, pvcName: string, pvc: AdmissionPvc): Promise<CatalogAnswer> {
    const full = await this.decision(namespace, pvcName);
    const answer: CatalogAnswer = {
      full,
      decision: {
        decision: full.decision,
        authoritative: full.authoritative,
        cause: full.cause,
        message: full.message,
      },
    };
    if (full.decision !== 'restore') return answer;

    // Which snapshot: a pending `lifeboat restore` request wins, then the PVC's own point in time, then the newest.
    const request = this.#request(namespace, pvcName);
    const asOf = pvc.metadata.annotations?.[RESTORE_AS_OF_ANNOTATION];
    let snapshot: Snapshot | undefined;
    if (request && 'error' in request) {
      const rd = generatedNames(pvcName, this.opts.config.naming).replicationDestination;
      return unknown(
        full,
        'restore-request-unreadable',
        `restore-request-unreadable: ${request.error} (${RESTORE_REQUEST_ANNOTATION} on ReplicationDestination ${namespace}/${rd}); re-run \`lifeboat restore ${namespace}/${pvcName}\` to finish the restore, or remove the annotation to restore the newest snapshot`,
      );
    }
    if (request) {
      snapshot = chooseSnapshot(full.snapshots, { snapshotId: request.snapshotId });
      if (!snapshot) {
        return unknown(
          full,
          'requested-snapshot-missing',
          `requested-snapshot-missing: a restore of snapshot ${request.snapshotId} is pending (${RESTORE_REQUEST_ANNOTATION} on the ReplicationDestination), but the repository no longer lists it; finish or cancel it with \`lifeboat restore\``,
        );
      }
    } else if (asOf !== undefined) {
      const asOfMs = Date.parse(asOf);
      if (Number.isNaN(asOfMs)) {
        return unknown(
          full,
          'invalid-restore-as-of',
          `invalid-restore-as-of: ${RESTORE_AS_OF_ANNOTATION} is "${asOf.slice(0, 64)}", not an RFC 3339 time; write e.g. 2026-11-20T02:00:00Z or remove it`,
        );
      }
      snapshot = chooseSnapshot(full.snapshots, { asOfMs });
      if (!snapshot) {
        return unknown(
          full,
          'no-snapshot-before-as-of',
          `no-snapshot-before-as-of: ${RESTORE_AS_OF_ANNOTATION} asks for ${asOf}, but the oldest complete snapshot is from ${full.snapshots.at(-1)?.time ?? 'never'}; choose a later time or remove the annotation`,
        );
      }
    } else {
      snapshot = chooseSnapshot(full.snapshots);
    }
    if (!snapshot) return answer; // checkFacts turns a restore without a restore point into unknown
    return {
      ...answer,
      snapshot,
      restorePoint: restorePointName(pvcName, snapshot.id, this.opts.config.naming),
      annotations: { [RESTORE_SNAPSHOT_ANNOTATION]: snapshot.id, [RESTORE_SNAPSHOT_TIME_ANNOTATION]: snapshot.time },
    };
  }

  /**
   * The snapshot of a pending `lifeboat restore`, read with the same parser `lifeboat restore` and `status` use. An
   * unreadable request is an error, not "no request": someone asked for a particular snapshot, and restoring the
   * newest instead could hand the application data they did not ask for.
   */
  #request(namespace: string, pvcName: string): { snapshotId: string } | { error: string } | undefined {
    const raw = this.destination(namespace, pvcName)?.metadata.annotations?.[RESTORE_REQUEST_ANNOTATION];
    try {
      const request = parseRestoreRequest(raw);
      return request ? { snapshotId: request.snapshotId } : undefined;
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }
}
