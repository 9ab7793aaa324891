/**
 * The mover registry: the one list of movers. Each mover is a folder beside this file that owns everything about it
 * (./mover.ts says what); adding a mover is a folder and its line in `MOVERS`. Every per-mover table elsewhere is
 * derived from this one, so the config, the writer, the catalog, the decisions and the CLI cannot disagree about
 * which movers exist.
 */
import { kopiaMover } from './kopia/index.ts';
import type { Mover } from './mover.ts';
import { resticMover } from './restic/index.ts';

/** By `repository.backend`, in the order the config lists them (the default, kopia, is config/defaults.ts's choice). */
const LIST = { kopia: kopiaMover, restic: resticMover };

/** Repository format and VolSync mover: a name in the registry. */
export type Backend = keyof typeof LIST;

/** The movers' names, as the config accepts them. */
export const BACKEND_KINDS = Object.keys(LIST) as readonly Backend[];

type Parts<K extends Backend> = (typeof LIST)[K] extends Mover<infer O, infer S, infer D> ? [O, S, D] : never;
/** A mover's `mover.<name>:` options. */
export type OptionsOf<K extends Backend> = Parts<K>[0];
/** What a mover's ReplicationSource block adds to the fields every mover shares. */
export type SourceFieldsOf<K extends Backend> = Parts<K>[1];
/** What a mover's ReplicationDestination block adds to them. */
export type DestinationFieldsOf<K extends Backend> = Parts<K>[2];

/** Every mover's options, by name: the config's `mover:` section holds one entry per mover. */
export type MoverOptionsByName = { [K in Backend]: OptionsOf<K> };

export const MOVERS: { readonly [K in Backend]: Mover<OptionsOf<K>, SourceFieldsOf<K>, DestinationFieldsOf<K>> } = LIST;

/** Every mover's default options, by name (the config's `mover:` defaults). */
export function moverOptionDefaults(): MoverOptionsByName {
  return Object.fromEntries(
    BACKEND_KINDS.map((name) => [name, structuredClone(MOVERS[name].options.defaults)]),
  ) as MoverOptionsByName;
}

// `repository.identity`: every config carries one, in the form of kopia's snapshot sources (the loader checks it for
// every mover), and the annotation recording it on the generated objects.
export {
  KOPIA_IDENTITY_ANNOTATION,
  KOPIA_IDENTITY_PART,
  KOPIA_SOURCE_PATH,
  splitIdentity,
} from './kopia/identity.ts';
