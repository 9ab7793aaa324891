/**
 * The writing side's view of a mover backend, the counterpart of the catalog's `CatalogSource` (catalog/source.ts):
 * everything lifeboat writes that differs between kopia and restic — the mover block of a ReplicationSource and
 * ReplicationDestination with its retention, the identity recorded on them, the Secret keys the mover needs and the
 * ones lifeboat renders from the location template. Each backend is one module beside this one; adding a mover means
 * adding a module and a line in `BACKENDS` (./index.ts). The variable names themselves live in catalog/environment.ts, which the catalog reads
 * them with, so writer and reader cannot disagree about a key.
 */
import type { Backend, LifeboatConfig, Retention } from '../../config/types.ts';
import type {
  DestinationCommonSpec,
  KopiaDestinationSpec,
  KopiaSourceSpec,
  MoverCommonSpec,
  ResticDestinationSpec,
  ResticSourceSpec,
} from '../objects.ts';

/** The mover block of a ReplicationSource spec: exactly one of `kopia` or `restic`. */
export type SourceMover = { kopia: KopiaSourceSpec; restic?: never } | { restic: ResticSourceSpec; kopia?: never };
/** The mover block of a ReplicationDestination spec. */
export type DestinationMover =
  | { kopia: KopiaDestinationSpec; restic?: never }
  | { restic: ResticDestinationSpec; kopia?: never };

/** Which PVC an object is generated for. */
export interface BackendPvc {
  namespace: string;
  pvc: string;
}

export interface MoverBackend {
  readonly kind: Backend;
  /** The Secret keys no mover of this backend runs without: the password, then the repository location. */
  readonly requiredSecretKeys: readonly [password: string, repository: string];
  /** The Secret keys lifeboat renders itself from one PVC's rendered location, in plain text. */
  renderedSecretKeys(location: string): Record<string, string>;
  /** Annotations recording the mover identity on the PVC's source and destination (none when it needs none). */
  identityAnnotations(config: LifeboatConfig, at: BackendPvc): Record<string, string>;
  /** The mover block of the PVC's ReplicationSource, from the fields both movers share and the tier's retention. */
  source(common: MoverCommonSpec, retain: Retention, config: LifeboatConfig, at: BackendPvc): SourceMover;
  /** The mover block of the PVC's ReplicationDestination. */
  destination(common: DestinationCommonSpec, config: LifeboatConfig, at: BackendPvc): DestinationMover;
}

/** Retention counts both movers name alike; `last` is spelled per mover. */
export function retentionCounts(retain: Retention): Omit<Retention, 'last'> {
  const { hourly, daily, weekly, monthly, yearly } = retain;
  return Object.fromEntries(
    Object.entries({ hourly, daily, weekly, monthly, yearly }).filter(([, v]) => v !== undefined),
  ) as Omit<Retention, 'last'>;
}
