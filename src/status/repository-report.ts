/**
 * The repository part of the ledger (`lifeboat status`, `/audit`): which repository lifeboat reads (its ID, to copy
 * into `repository.expectedId`), what is pinned, locations answering with another repository, whether
 * `repository.firstInstall` is still set, and the sources that follow no identity template with the PVC they most
 * likely belong to. Pure: the catalog's facts and the PVCs the ledger lists in, the report out.
 */
import type { CatalogIdentityStatus } from '../catalog/catalog.ts';
import { guessPvc, likelyPvc } from '../catalog/drift.ts';
import type { RepositoryHealth } from '../catalog/health.ts';
import type { DriftedSource } from '../catalog/view.ts';
import type { PvcRef } from '../repository/source.ts';

/** What the report needs of the catalog. */
export interface RepositoryFacts {
  identity: CatalogIdentityStatus;
  health: readonly RepositoryHealth[];
  unmatched: readonly DriftedSource[];
  /** One repository for all PVCs (Kopia): its ID is listed; per-PVC IDs stay in the pins. */
  shared: boolean;
}

export interface RepositoryReport {
  /** The shared repository's location and ID as last read. */
  repositories: { repository: string; id?: string }[];
  pins: Record<string, string>;
  expectedId?: string;
  firstInstall?: 'in-effect' | 'ignored';
  /** Locations answering with another repository, each with the command that accepts it. */
  conflicts: (CatalogIdentityStatus['conflicts'][number] & { confirm: string })[];
  unmatched: (DriftedSource & { likelyPvc?: string })[];
  /** Reading or recording the pins failed (the message, never credentials). */
  pinError?: string;
}

export function repositoryReport(
  facts: RepositoryFacts,
  pvcs: readonly PvcRef[],
  confirm: (id: string) => string,
): RepositoryReport {
  const { identity } = facts;
  const report: RepositoryReport = {
    repositories: facts.shared
      ? facts.health.map((h) => ({ repository: h.repository, ...(h.repositoryId ? { id: h.repositoryId } : {}) }))
      : [],
    pins: identity.pins,
    conflicts: identity.conflicts.map((c) => ({ ...c, confirm: confirm(c.observed) })),
    unmatched: facts.unmatched.map((u) => {
      const likely = likelyPvc(u.source, pvcs) ?? guessPvc(u.source);
      return { ...u, ...(likely ? { likelyPvc: `${likely.namespace}/${likely.pvc}` } : {}) };
    }),
  };
  if (identity.expectedId) report.expectedId = identity.expectedId;
  if (identity.firstInstall) report.firstInstall = identity.firstInstall;
  if (identity.storeFailure) report.pinError = `${identity.storeFailure.code}: ${identity.storeFailure.message}`;
  return report;
}

/** The report as lines under the ledger table (empty when there is nothing to say). */
export function repositoryReportLines(report: RepositoryReport): string[] {
  const lines: string[] = [];
  for (const r of report.repositories) {
    if (r.id) lines.push(`repository ${r.repository}: ID ${r.id}`);
  }
  if (report.expectedId) lines.push(`repository.expectedId: ${report.expectedId}`);
  if (report.firstInstall === 'in-effect') {
    lines.push(
      'repository.firstInstall is set: a missing repository counts as a first installation; remove it after the first backup',
    );
  } else if (report.firstInstall === 'ignored') {
    lines.push('repository.firstInstall is set but ignored (a repository is recorded): remove it from the config');
  }
  for (const c of report.conflicts) {
    lines.push(
      `REPOSITORY CHANGED at ${c.repository}: recorded ${c.pinned}, now ${c.observed}; if intended: ${c.confirm}`,
    );
  }
  if (report.pinError) lines.push(`repository identity record: ${report.pinError}`);
  for (const u of report.unmatched) {
    const likely = u.likelyPvc ? `, likely PVC ${u.likelyPvc}` : '';
    lines.push(
      `unmatched source ${u.source}: ${u.snapshots} snapshot(s)${u.newest ? `, newest ${u.newest}` : ''}${likely}`,
    );
  }
  return lines;
}
