/**
 * One mover, as every other part of lifeboat sees it: the facts and rules that differ between VolSync's movers, owned
 * by the mover's own folder (`kopia/`, `restic/`) and listed once in the registry (`index.ts`). This layer sits below
 * the config, so it takes narrow inputs (a template, its own options, a retention) instead of the whole config, and
 * the config, the writer (plan/backend/), the catalog, the decisions and the CLI reach a mover only through the
 * registry.
 */
import type { CredentialProvider, Env } from '../repository/credentials.ts';
import type { BackendLabel, CatalogSource, PvcRef } from '../repository/source.ts';
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
  /** Set when `expectedId`, `firstInstall` and `maintenance` do not apply: why, for the messages. */
  perPvcRepositories?: { why: string; maintenance: string };
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
  /**
   * The Secret variables it reads: the repository password, the location, and further settings of its own (kopia's
   * S3 endpoint and bucket), beside the AWS ones every mover shares.
   */
  readonly variables: { readonly password: string; readonly repository: string; readonly settings: readonly string[] };
  /** Where the repository is when `repository.url` names none, from the NFS export every mover mounts under /mnt. */
  defaultLocation(nfs: { mountPath: string } | undefined): string | undefined;
  readonly repository: MoverRepositoryRules;
  /** Its `mover.<name>:` options: defaults and how each field is checked. */
  readonly options: MoverOptions<Options>;
  /**
   * Full maintenance of its repository: one `KopiaMaintenance` (the kopia fork's CRD, plan/maintenance.ts) for a
   * shared kopia repository, or none, with the repository-maintenance plan's message saying why.
   */
  readonly maintenance: 'KopiaMaintenance' | { off: string };
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
  /** How lifeboat's catalog reads its repositories (./<name>/reader/, ./<name>/catalog-source.ts). */
  readonly reader: MoverReader;
  /** Its part of the repository flags of `check`, `catalog` and `serve-catalog`. */
  readonly cli: MoverFlags;
}

/** How the catalog reads a mover's repositories: the reader over one location and what it takes from the Secret. */
export interface MoverReader {
  /** Settings from the Secret that change how a location is reached (kopia's S3 endpoint); part of the rebuild key. */
  settings(data: Env): object;
  /** The operator's source over one location, PVCs told apart by `identity` where the mover needs one. */
  source(location: string, data: Env, identity: string, credentials: CredentialProvider): CatalogSource;
  /** PVC Plumber's backend label while no source can be built yet, from the fixed location if any. */
  waitingLabel(fixed: string | undefined): BackendLabel;
  /**
   * The CLI's source over `repository` (a flag, a variable or repository.url); `pvc` lets a location without
   * placeholders stand for that one PVC where the mover keeps one repository per PVC. Throws `MoverUsageError`
   * for a location or template the user must write differently.
   */
  cliSource(
    repository: string,
    env: Env,
    identity: string | undefined,
    credentials: CredentialProvider,
    pvc?: PvcRef,
  ): CatalogSource;
  /** Whether an error of `cliSource` (a reader's location or template error) is the user's to fix. */
  isUsageError(error: unknown): boolean;
}

/** A location or template the user must write differently (the CLI makes it a usage error). */
export class MoverUsageError extends Error {
  override readonly name = 'MoverUsageError';
}

export interface MoverFlags {
  /** `--repository`: what this mover takes, e.g. `restic: a template with {namespace} and {pvc}, …`. */
  repositoryHelp: string;
  /** `--identity`: its help when PVCs are told apart by an identity, else why the flag is refused. */
  identity: { help: string } | { refused: string };
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
