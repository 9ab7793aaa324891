/**
 * Repository identity pinning: which repository (by ID) lifeboat has been reading at each location. A different
 * valid repository at the same location (a staging repository, another cluster's bucket, a re-created one) would
 * otherwise change every decision silently; with a pin it answers `repository-changed` until an operator confirms it.
 *
 * Pins are kept per PVC, not per location: the one shared (Kopia) repository has one pin whatever its location, and
 * each per-PVC (restic) repository is pinned under its PVC. Pointing the config at another place (a staging bucket,
 * another export) is then a change of repository, while moving the same repository elsewhere is not.
 *
 * The catalog keeps the pins in memory and asks a PinStore (the cluster edge: a ConfigMap written by the leader) to
 * load them before each refresh and to record new ones after it, so they survive restarts. A repository seen for the
 * first time is pinned (trust on first use), unless the config names the ID to expect (`repository.expectedId`, a
 * rebuilt cluster is protected from its first minute); a confirmation names the new ID it accepts, so an old
 * confirmation cannot accept a later change.
 */

import { LIFEBOAT_PREFIX } from '../config/keys.ts';

/**
 * The ConfigMap in lifeboat's namespace that records the pins (written by the leader, see
 * controller/repository-identity-store.ts), and the annotation by which an operator confirms a change of repository.
 * The confirmation names the new repository ID it accepts, so an old annotation cannot accept a later change.
 */
export const IDENTITY_CONFIGMAP = 'lifeboat-repository-identity';
export const CONFIRM_REPOSITORY_ANNOTATION = `${LIFEBOAT_PREFIX}confirm-repository`;

/** The command that confirms `id` as the repository now behind the pins. */
export function confirmRepositoryCommand(namespace: string, id: string): string {
  return `kubectl -n ${namespace} annotate configmap ${IDENTITY_CONFIGMAP} ${CONFIRM_REPOSITORY_ANNOTATION}=${id} --overwrite`;
}

/** The pin key of the one shared repository. */
export const SHARED_PIN = 'shared-repository';

/** What the cluster holds: pin key (`shared-repository`, or `namespace/pvc`) → ID, and the ID an operator confirmed. */
export interface RecordedPins {
  pins: Record<string, string>;
  /** The repository ID an operator accepted as the new repository at its location (one command, see runbooks). */
  confirmed?: string;
}

export interface PinStore {
  /** The recorded pins; throws when they cannot be read (then no decision can rely on them). */
  load(signal: AbortSignal): Promise<RecordedPins>;
  /** Records pins; false when this replica does not write them (only the leader does), so they are offered again. */
  save(pins: Record<string, string>, signal: AbortSignal): Promise<boolean>;
}

/** An observation that differs from the pin and is not confirmed: shown in status and `lifeboat catalog`. */
export interface PinConflict {
  /** Where the other repository answers (credential-free location). */
  repository: string;
  pinned: string;
  observed: string;
}

/**
 * The pin book of one catalog: pure bookkeeping over what was loaded and what reads observed.
 * `expectedId` applies to the one shared repository (Kopia).
 */
export class PinBook {
  readonly expectedId: string | undefined;
  #pins = new Map<string, string>();
  #confirmed: string | undefined;
  #loaded = false;
  #dirty = false;
  /** Pin key → the ID and location the latest read found. */
  #observed = new Map<string, { id: string; location: string }>();

  constructor(expectedId?: string) {
    this.expectedId = expectedId;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** Pins recorded or taken in this process, for status output. */
  pins(): Record<string, string> {
    return Object.fromEntries([...this.#pins].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /**
   * Pins of one layout only: the shared repository's, or the per-PVC repositories'. A cluster that switched backends
   * keeps the other layout's record (the kopia pin after a move to restic, and the reverse); it says nothing about
   * whether this layout's repositories existed.
   */
  sizeOf(layout: 'shared' | 'per-pvc'): number {
    let n = 0;
    for (const key of this.#pins.keys()) if ((key === SHARED_PIN) === (layout === 'shared')) n++;
    return n;
  }

  /** Replaces the in-memory pins by the recorded ones, keeping pins taken since that were not saved yet. */
  load(recorded: RecordedPins): void {
    const unsaved = this.#dirty ? new Map(this.#pins) : new Map<string, string>();
    this.#pins = new Map(Object.entries(recorded.pins));
    for (const [key, id] of unsaved) if (!this.#pins.has(key)) this.#pins.set(key, id);
    this.#confirmed = recorded.confirmed;
    this.#loaded = true;
    for (const [key, seen] of this.#observed) this.observe(key, seen.id, seen.location);
  }

  /** Marks the book as usable without a store (`lifeboat check`: only the config's expectation applies). */
  markLoaded(): void {
    this.#loaded = true;
  }

  /**
   * A read found repository `id` for pin `key` at `location`: pins it when nothing is pinned there yet (and it is the
   * expected one when the config names one), or re-pins it when an operator confirmed exactly this ID.
   */
  observe(key: string, id: string, location: string): void {
    this.#observed.set(key, { id, location });
    if (!this.#loaded) return;
    if (key === SHARED_PIN && this.expectedId !== undefined && id !== this.expectedId) return;
    const pinned = this.#pins.get(key);
    if (pinned === id) return;
    if (pinned === undefined || this.#confirmed === id) {
      this.#pins.set(key, id);
      this.#dirty = true;
    }
  }

  /** The ID `key` must have: the config's for the shared repository, else the recorded pin. */
  expected(key: string): { id: string; from: 'config' | 'recorded' } | undefined {
    if (key === SHARED_PIN && this.expectedId !== undefined) return { id: this.expectedId, from: 'config' };
    const id = this.#pins.get(key);
    return id === undefined ? undefined : { id, from: 'recorded' };
  }

  /** Pins taken since the last save, or undefined when there is nothing to record. */
  takeUnsaved(): Record<string, string> | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    return this.pins();
  }

  /** A save failed: keep the pins marked for the next attempt. */
  markUnsaved(): void {
    this.#dirty = true;
  }

  conflicts(): PinConflict[] {
    const out: PinConflict[] = [];
    for (const [key, seen] of this.#observed) {
      const want = this.expected(key);
      if (want && want.id !== seen.id) out.push({ repository: seen.location, pinned: want.id, observed: seen.id });
    }
    return out.sort((a, b) => (a.repository < b.repository ? -1 : 1));
  }
}
