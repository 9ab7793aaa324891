/** The mover backend `repository.backend` names, bound to the config: the registry's mover (src/mover/) behind it. */
import type { LifeboatConfig } from '../../config/types.ts';
import { MOVERS } from '../../mover/index.ts';
import type { DestinationMover, SourceMover } from '../objects.ts';
import type { MoverBackend } from './backend.ts';

export type { DestinationMover, MoverBackend, SourceMover } from './backend.ts';

export function backendOf(config: LifeboatConfig): MoverBackend {
  let backend = bound.get(config);
  if (!backend) {
    backend = bind(config);
    bound.set(config, backend);
  }
  return backend;
}

/**
 * One backend per configuration object: planning asks for it several times per reconcile, and each binding makes
 * five closures (which the bundle also names one by one), all garbage a moment later. A configuration is never
 * changed in place (a reload builds a new object), so the binding stays right for as long as its key lives.
 */
const bound = new WeakMap<LifeboatConfig, MoverBackend>();

function bind(config: LifeboatConfig): MoverBackend {
  const kind = config.repository.backend;
  const mover = MOVERS[kind];
  const { password, repository } = mover.variables;
  // The casts: TypeScript cannot tie `kind` to `c.mover[kind]` and to the block's key through a union of movers; the
  // registry's types (src/mover/index.ts) derive all three from one mover, so they agree.
  return {
    kind,
    requiredSecretKeys: [password, repository],
    renderedSecretKeys: (location) => ({ [repository]: location }),
    identityAnnotations: (c, at) => mover.identityAnnotations(c.repository.identity, at),
    source: (common, retain, c, at) =>
      ({
        [kind]: mover.source(common, retain, { identity: c.repository.identity, options: c.mover[kind] as never }, at),
      }) as unknown as SourceMover,
    destination: (common, c, at) =>
      ({ [kind]: mover.destination(common, { identity: c.repository.identity }, at) }) as unknown as DestinationMover,
  };
}
