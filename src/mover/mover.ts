/**
 * One mover, as every other part of lifeboat sees it: the facts and rules that differ between VolSync's movers, owned
 * by the mover's own folder (`kopia/`, `restic/`) and listed once in the registry (`index.ts`). This layer sits below
 * the config, so it takes narrow inputs (a template, its own options, a retention) instead of the whole config, and
 * the config, the writer (plan/backend/), the catalog, the decisions and the CLI reach a mover only through the
 * registry.
 */
import type { TemplateVariable } from '../template.ts';
import type { Retention } from './retention.ts';

/** Which PVC an object is generated for. */
export interface MoverPvc {
  namespace: string;
  pvc: string;
}

/**
 * What the config loader checks differently per mover: the form of `repository.url`, whether it is required, whether
 * PVCs share one repository, and which repository fields apply. `config/load-repository.ts` applies these in one
 * fixed order for every mover.
 */
export interface MoverRepositoryRules {
  /** Why `repository.url` is not a location this mover accepts (checked before its placeholders). */
  urlProblem(url: string): string | undefined;
  /** Placeholders `repository.url` must contain. */
  urlPlaceholders: TemplateVariable[];
  /** How to write `repository.url` right. */
  urlFix: string;
  /** Set when the mover has no location without `repository.url`: the problem and fix of a missing one. */
  urlRequired?: { problem: string; fix: string };
  /** Every PVC in one repository: the identity must tell namespaces apart. */
  sharedRepository: boolean;
  /**
   * Set when `expectedId`, `firstInstall` and `maintenance` do not apply: why, for the messages; `maintenanceOff` is
   * the repository-maintenance plan's message.
   */
  perPvcRepositories?: { why: string; maintenance: string; maintenanceOff: string };
}

/** What a mover's log says it restored (as the mover printed the id; `time` RFC 3339 when it printed one). */
export interface MoverSelection {
  id: string;
  time?: string;
}

/**
 * A mover. `Options` are its fields under the config's `mover.<name>:`, `SourceFields`/`DestinationFields` what its
 * block of a ReplicationSource/ReplicationDestination adds to the fields every mover shares.
 */
export interface Mover<Options extends object, SourceFields extends object, DestinationFields extends object> {
  /** The Secret variable holding the repository password, then the one holding its location. */
  readonly variables: { readonly password: string; readonly repository: string };
  /** Where the repository is when `repository.url` names none, from the NFS export every mover mounts under /mnt. */
  defaultLocation(nfs: { mountPath: string } | undefined): string | undefined;
  readonly repository: MoverRepositoryRules;
  /** Its `mover.<name>:` options: defaults and how each field is checked. */
  readonly options: MoverOptions<Options>;
  /** Set when upstream VolSync (backube/volsync) cannot run it: the problem and its fix, one sentence. */
  readonly upstreamProblem?: string;
  /**
   * Whether its restore report names the snapshot it restored; when not, a read after the restore settles which one
   * it was (decision/restore-verdict.ts).
   */
  readonly reportNamesSnapshot: boolean;
  /** Annotations recording the mover identity on the PVC's source and destination (none when it needs none). */
  identityAnnotations(identity: string, at: MoverPvc): Record<string, string>;
  /** Its ReplicationSource block: the shared fields, the tier's retention in its spelling, its own fields. */
  source<C extends object>(
    common: C,
    retain: Retention,
    input: { identity: string; options: Options },
    at: MoverPvc,
  ): C & SourceFields;
  /** Its ReplicationDestination block. */
  destination<C extends object>(common: C, input: { identity: string }, at: MoverPvc): C & DestinationFields;
  /** The snapshot its restore log names, if it names one. */
  reportedSelection(logs: string): MoverSelection | undefined;
}

/** One `mover.<name>:` option: a string with its rule, or an integer within bounds. */
export type MoverOption =
  | { type: 'string'; oneOf?: { values: readonly string[]; what: string } }
  | { type: 'integer'; min: number; max?: number };

export interface MoverOptions<Options extends object> {
  readonly defaults: Options;
  /** Each field of `Options`, in the order the loader reads them. */
  readonly fields: { readonly [K in keyof Options]: MoverOption };
}
