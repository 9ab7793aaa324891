/**
 * The writing side's view of a mover backend, the counterpart of the catalog's `CatalogSource` (repository/source.ts):
 * everything lifeboat writes that differs between movers — the mover block of a ReplicationSource and
 * ReplicationDestination with its retention, the identity recorded on them, the Secret keys the mover needs and the
 * ones lifeboat renders from the location template. Each mover owns these in its folder under src/mover/; `index.ts`
 * binds the one the config names to the config, so the rest of plan/ never names a mover.
 */
import type { Backend, LifeboatConfig, Retention } from '../../config/types.ts';
import type { DestinationCommonSpec, DestinationMover, MoverCommonSpec, SourceMover } from '../objects.ts';

export type { DestinationMover, SourceMover } from '../objects.ts';

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
  /** The mover block of the PVC's ReplicationSource, from the fields every mover shares and the tier's retention. */
  source(common: MoverCommonSpec, retain: Retention, config: LifeboatConfig, at: BackendPvc): SourceMover;
  /** The mover block of the PVC's ReplicationDestination. */
  destination(common: DestinationCommonSpec, config: LifeboatConfig, at: BackendPvc): DestinationMover;
}
