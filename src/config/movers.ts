/**
 * The per-mover repository rules as the config loader applies them (the rules themselves are each mover's own, in
 * src/mover/<name>/): `load-repository.ts` applies them in one fixed order for every mover.
 */
import { MOVERS } from '../mover/index.ts';
import type { MoverRepositoryRules } from '../mover/mover.ts';
import { templateProblem } from './rules.ts';
import type { Backend } from './types.ts';

export type { MoverRepositoryRules } from '../mover/mover.ts';

export function repositoryRules(backend: Backend): MoverRepositoryRules {
  return MOVERS[backend].repository;
}

/** The movers whose PVCs share one repository, for messages about the fields only they have ("kopia"). */
export function sharedRepositoryMovers(): string {
  return Object.entries(MOVERS)
    .filter(([, mover]) => mover.repository.sharedRepository)
    .map(([name]) => name)
    .join(' or ');
}

/**
 * Why `location` is not a repository location of this mover: its form, then its placeholders. One check for
 * `repository.url` (where the movers write) and `catalog.location` (where lifeboat reads the same repository).
 */
export function locationProblem(rules: MoverRepositoryRules, location: string): string | undefined {
  const wrongForm = rules.urlProblem(location);
  if (wrongForm) return wrongForm;
  const problem = templateProblem(location, ['namespace', 'pvc'], rules.urlPlaceholders);
  return problem && `"${location}" ${problem}`;
}
