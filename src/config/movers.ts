/**
 * What the config loader checks differently per mover, one entry per name in `BACKEND_KINDS` (the table does not
 * compile without one): the form of `repository.url`, whether it is required, whether PVCs share one repository, and
 * which repository fields apply. `load-repository.ts` applies these in one fixed order for every mover.
 */
import { templateProblem } from './rules.ts';
import { placeholders, type TemplateVariable } from './template.ts';
import type { Backend } from './types.ts';

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

// The kopia mover connects only to these (a bare path or another scheme fails in every mover Job), and they are what
// lifeboat's catalog reads. Without placeholders: the catalog, the repository pin (expectedId, firstInstall) and the
// KopiaMaintenance each stand for one shared repository (docs/design.md#writer-and-reader-on-different-locations).
const KOPIA_URL = /^(filesystem:\/\/\/|s3:\/\/)/;

export const MOVER_REPOSITORY_RULES: Record<Backend, MoverRepositoryRules> = {
  kopia: {
    urlProblem: (v) => {
      if (!KOPIA_URL.test(v)) return `"${v}" is not a kopia repository URL the movers accept`;
      if (placeholders(v).length === 0) return undefined;
      return `"${v}" has placeholders, but all PVCs share one kopia repository, the one location lifeboat's catalog reads`;
    },
    urlPlaceholders: [],
    urlFix:
      'write one location without placeholders, filesystem:///path (a mounted export) or s3://bucket/prefix; ' +
      'repository.identity tells the PVCs apart',
    sharedRepository: true,
  },
  restic: {
    urlProblem: () => undefined,
    urlPlaceholders: ['namespace', 'pvc'],
    urlFix: 'give every PVC its own restic repository, e.g. s3:http://minio:9000/volsync/{namespace}/{pvc}',
    urlRequired: {
      problem: 'is required for restic (restic keeps one repository per PVC)',
      fix: 'add url: s3:http://minio:9000/volsync/{namespace}/{pvc} (or another restic location with both placeholders)',
    },
    sharedRepository: false,
    perPvcRepositories: {
      why: 'restic keeps one repository per PVC: a missing one is "never backed up", and lifeboat records the IDs it reads in the cluster',
      maintenance:
        'applies only to backend kopia (restic prunes each PVC repository itself, see mover.restic.pruneIntervalDays)',
    },
  },
};

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
