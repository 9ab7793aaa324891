/**
 * The restore request on the persistent ReplicationDestination, used as a lock. Every write is a merge patch that
 * carries the resourceVersion it was decided from, so two runs can never both believe they created or took over the
 * request: the loser gets 409 Conflict, re-reads, and sees the winner's holder. A run renews `holder.renewedAt`
 * while it works; a request whose holder stopped renewing (Ctrl-C, a crash) may be taken over by the next run, which
 * continues from the recorded step.
 */
import { RESTORE_REQUEST_ANNOTATION } from '../config/keys.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { isConflict } from '../kube/errors.ts';
import { VOLSYNC_API_VERSION } from '../plan/objects.ts';
import {
  formatRestoreRequest,
  HOLDER_LEASE_MS,
  heldByOther,
  parseRestoreRequest,
  type RestoreRequest,
} from '../plan/restore-request.ts';

export const RESTORE_FIELD_MANAGER = 'lifeboat-restore';

/** The request cannot be taken: another run holds it, or it is not the restore this run was asked for. */
export class RestoreLocked extends Error {
  override readonly name = 'RestoreLocked';
}

const MAX_CONFLICTS = 20;

export class RequestStore {
  readonly kube: KubeClient;
  readonly namespace: string;
  readonly destination: string;
  readonly holderId: string;
  readonly now: () => number;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(
    kube: KubeClient,
    namespace: string,
    destination: string,
    holderId: string,
    now: () => number = Date.now,
  ) {
    this.kube = kube;
    this.namespace = namespace;
    this.destination = destination;
    this.holderId = holderId;
    this.now = now;
  }

  /** The RD (undefined when it does not exist) and the request on it. Throws on an unreadable request. */
  async read(): Promise<{ rd: KubeObject | undefined; request: RestoreRequest | undefined }> {
    const rd = await this.kube.get({
      apiVersion: VOLSYNC_API_VERSION,
      kind: 'ReplicationDestination',
      namespace: this.namespace,
      name: this.destination,
    });
    if (!rd) return { rd: undefined, request: undefined };
    try {
      return { rd, request: parseRestoreRequest(rd.metadata.annotations?.[RESTORE_REQUEST_ANNOTATION]) };
    } catch (error) {
      throw new RestoreLocked(
        `ReplicationDestination ${this.namespace}/${this.destination} carries an unreadable ${RESTORE_REQUEST_ANNOTATION} ` +
          `(${(error as Error).message}); inspect it, and remove it with kubectl annotate replicationdestination ` +
          `-n ${this.namespace} ${this.destination} ${RESTORE_REQUEST_ANNOTATION}- if no restore is running`,
      );
    }
  }

  async #write(rd: KubeObject, value: string | null): Promise<void> {
    const path = await this.kube.resources.objectPath(
      VOLSYNC_API_VERSION,
      'ReplicationDestination',
      this.destination,
      this.namespace,
    );
    await this.kube.http.request('PATCH', path, {
      query: { fieldManager: RESTORE_FIELD_MANAGER },
      contentType: 'application/merge-patch+json',
      body: {
        metadata: {
          resourceVersion: rd.metadata.resourceVersion,
          annotations: { [RESTORE_REQUEST_ANNOTATION]: value },
        },
      },
    });
  }

  /**
   * Records `fresh` when there is no request, or takes over the existing one when nobody holds it and `resume`
   * accepts it (it returns why not, otherwise). Resolves with the request now held and whether it was resumed.
   */
  async acquire(
    fresh: RestoreRequest,
    resume: (existing: RestoreRequest) => string | undefined,
  ): Promise<{ request: RestoreRequest; resumed: boolean }> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const { rd, request } = await this.read();
      if (!rd) throw new RestoreLocked(`ReplicationDestination ${this.namespace}/${this.destination} does not exist`);
      let next: RestoreRequest;
      if (!request) {
        next = { ...fresh, holder: this.#holder() };
      } else {
        if (heldByOther(request, this.holderId, this.now())) {
          const since = Math.round((this.now() - Date.parse(request.holder?.renewedAt ?? '')) / 1000);
          throw new RestoreLocked(
            `another lifeboat restore of this PVC is running (holder ${request.holder?.id}, seen ${since}s ago, ` +
              `at step ${request.step}); wait for it, or stop it and re-run this command within ${HOLDER_LEASE_MS / 1000}s to continue it`,
          );
        }
        const why = resume(request);
        if (why) throw new RestoreLocked(why);
        next = { ...request, holder: this.#holder() };
      }
      try {
        await this.#write(rd, formatRestoreRequest(next));
        return { request: next, resumed: request !== undefined };
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    throw new Error(
      `the ReplicationDestination kept changing while recording the restore request (${MAX_CONFLICTS} conflicts)`,
    );
  }

  /** Applies `change` to the request this run holds; throws RestoreLocked when it was taken over or removed. */
  async update(change: (r: RestoreRequest) => RestoreRequest): Promise<RestoreRequest> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const { rd, request } = await this.read();
      this.#assertHeld(request);
      const next = { ...change(request as RestoreRequest), holder: this.#holder() };
      try {
        await this.#write(rd as KubeObject, formatRestoreRequest(next));
        return next;
      } catch (error) {
        // VolSync's status writes move the resourceVersion too: re-read and re-apply the change.
        if (!isConflict(error)) throw error;
      }
    }
    throw new Error(
      `the ReplicationDestination kept changing while updating the restore request (${MAX_CONFLICTS} conflicts)`,
    );
  }

  /** Removes the request (the restore is complete); the PVC is then created like any other again. */
  async clear(): Promise<void> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const { rd, request } = await this.read();
      this.#assertHeld(request);
      try {
        await this.#write(rd as KubeObject, null);
        return;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    throw new Error(
      `the ReplicationDestination kept changing while clearing the restore request (${MAX_CONFLICTS} conflicts)`,
    );
  }

  /** Lets the next run take over at once (after Ctrl-C); best effort, never throws. */
  async release(): Promise<void> {
    this.stopHeartbeat();
    try {
      for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
        const { rd, request } = await this.read();
        if (!rd || request?.holder?.id !== this.holderId) return;
        try {
          await this.#write(rd, formatRestoreRequest({ ...request, holder: { id: this.holderId, renewedAt: null } }));
          return;
        } catch (error) {
          if (!isConflict(error)) return;
        }
      }
    } catch {
      // The lease runs out on its own; releasing early only saves the next run the wait.
    }
  }

  /** Renews the holder every `intervalMs`; `onLost` is told once when the request was taken over or removed. */
  startHeartbeat(intervalMs: number, onLost: (why: string) => void): void {
    this.stopHeartbeat();
    this.#heartbeat = setInterval(() => {
      this.update((r) => r).catch((error) => {
        // Other errors (an API server hiccup) are retried at the next beat; the lease outlives a few of them.
        if (error instanceof RestoreLocked) {
          this.stopHeartbeat();
          onLost(error.message);
        }
      });
    }, intervalMs);
    this.#heartbeat.unref();
  }

  stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #holder(): { id: string; renewedAt: string } {
    return { id: this.holderId, renewedAt: new Date(this.now()).toISOString() };
  }

  #assertHeld(request: RestoreRequest | undefined): asserts request is RestoreRequest {
    if (!request)
      throw new RestoreLocked('the restore request was removed from the ReplicationDestination (cancelled by hand?)');
    if (request.holder?.id !== this.holderId) {
      throw new RestoreLocked(`the restore was taken over by another run (holder ${request.holder?.id ?? 'none'})`);
    }
  }
}
