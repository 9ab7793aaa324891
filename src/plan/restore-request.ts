/**
 * A point-in-time restore in progress, as recorded on the persistent ReplicationDestination under
 * `lifeboat.dev/restore-request` (config/keys.ts RESTORE_REQUEST_ANNOTATION). It is three things at once:
 * - the contract with admission: while it is present, a PVC created under this name restores `snapshotId` (pinned by
 *   `snapshotTime`) instead of the newest snapshot;
 * - the lock: only one restore per PVC (created with an optimistic-concurrency update; `holder` says who runs it);
 * - the resume point: `step` is the last step completed, so re-running `lifeboat restore` continues from there, and
 *   `replicas` / `capturedSpec` are what the later steps need after the earlier ones changed the cluster.
 */

/** Steps in order; each names what has been completed. */
export const RESTORE_STEPS = ['requested', 'scaled-down', 'pvc-deleted', 'pvc-restored', 'scaled-up'] as const;
export type RestoreStep = (typeof RESTORE_STEPS)[number];

/** A workload scaled to zero for the restore, and what to scale it back to. */
export interface ScaledWorkload {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  replicas: number;
  /** A StatefulSet whose volumeClaimTemplates create this PVC: scaling it up recreates the PVC. */
  recreatesPvc?: boolean;
}

/** What `--recreate` creates the PVC from: the user's labels, annotations and spec, minus what binding added. */
export interface CapturedPvc {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
}

export interface RestoreRequest {
  snapshotId: string;
  snapshotTime: string;
  /** RFC 3339. */
  requestedAt: string;
  step: RestoreStep;
  replicas: ScaledWorkload[];
  /** The uid of the PVC being replaced; absent when there was none. */
  pvcUid?: string;
  capturedSpec?: CapturedPvc;
  /** The run holding the lock; `renewedAt` is refreshed while it runs, cleared when it stops. */
  holder?: { id: string; renewedAt: string | null };
}

function isStep(value: unknown): value is RestoreStep {
  return typeof value === 'string' && (RESTORE_STEPS as readonly string[]).includes(value);
}

function isWorkload(value: unknown): value is ScaledWorkload {
  const w = value as ScaledWorkload;
  return (
    typeof w === 'object' &&
    w !== null &&
    (w.kind === 'Deployment' || w.kind === 'StatefulSet') &&
    typeof w.name === 'string' &&
    Number.isInteger(w.replicas) &&
    w.replicas >= 0
  );
}

/**
 * The request, or undefined when the annotation is absent. A present but unreadable annotation is an error, not
 * "no request": someone wrote it, and starting another restore over it could undo theirs.
 */
export function parseRestoreRequest(value: string | undefined): RestoreRequest | undefined {
  if (value === undefined || value === '') return undefined;
  let raw: Partial<RestoreRequest>;
  try {
    raw = JSON.parse(value) as Partial<RestoreRequest>;
  } catch {
    throw new Error('the restore request annotation is not JSON');
  }
  if (
    typeof raw.snapshotId !== 'string' ||
    raw.snapshotId === '' ||
    typeof raw.snapshotTime !== 'string' ||
    Number.isNaN(Date.parse(raw.snapshotTime)) ||
    typeof raw.requestedAt !== 'string' ||
    !isStep(raw.step)
  ) {
    throw new Error('the restore request annotation lacks snapshotId, snapshotTime, requestedAt or a known step');
  }
  const replicas = Array.isArray(raw.replicas) ? raw.replicas : [];
  if (!replicas.every(isWorkload)) throw new Error('the restore request annotation has malformed replicas');
  return {
    snapshotId: raw.snapshotId,
    snapshotTime: raw.snapshotTime,
    requestedAt: raw.requestedAt,
    step: raw.step,
    replicas,
    ...(typeof raw.pvcUid === 'string' ? { pvcUid: raw.pvcUid } : {}),
    ...(raw.capturedSpec && typeof raw.capturedSpec === 'object' ? { capturedSpec: raw.capturedSpec } : {}),
    ...(raw.holder && typeof raw.holder.id === 'string'
      ? {
          holder: {
            id: raw.holder.id,
            renewedAt: typeof raw.holder.renewedAt === 'string' ? raw.holder.renewedAt : null,
          },
        }
      : {}),
  };
}

export function formatRestoreRequest(request: RestoreRequest): string {
  return JSON.stringify(request);
}

/** Whether `step` has been completed by a request at `current`. */
export function reached(current: RestoreStep, step: RestoreStep): boolean {
  return RESTORE_STEPS.indexOf(current) >= RESTORE_STEPS.indexOf(step);
}

/** How long a holder counts as running after its last renewal. */
export const HOLDER_LEASE_MS = 30_000;

/** Whether another run holds the request right now (renewed within the lease). */
export function heldByOther(request: RestoreRequest, id: string, nowMs: number): boolean {
  const holder = request.holder;
  if (!holder || holder.id === id || holder.renewedAt === null) return false;
  return nowMs - Date.parse(holder.renewedAt) < HOLDER_LEASE_MS;
}
