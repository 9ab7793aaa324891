/** The mover backends by `repository.backend`: adding a mover is a module beside these and a line here. */
import type { LifeboatConfig } from '../../config/types.ts';
import type { MoverBackend } from './backend.ts';
import { kopiaBackend } from './kopia.ts';
import { resticBackend } from './restic.ts';

export type { DestinationMover, MoverBackend, SourceMover } from './backend.ts';

const BACKENDS: Record<LifeboatConfig['repository']['backend'], MoverBackend> = {
  kopia: kopiaBackend,
  restic: resticBackend,
};

export function backendOf(config: LifeboatConfig): MoverBackend {
  return BACKENDS[config.repository.backend];
}
