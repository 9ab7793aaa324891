/**
 * Claims made by database operators (config `databases`) and what that changes about a PVC's intent. Pure. A
 * database's own backup (WAL archiving, binlogs, the operator's dumps) restores to a consistent point; a file-level
 * copy of its running volume is crash-consistent at best (docs/design.md#crash-consistent-copies-of-databases). So an
 * unlabelled database claim is not "unprotected", and a labelled one is still backed up, with a warning that names
 * the way back to the native path.
 */
import { formatLabel } from '../config/load-databases.ts';
import type { DatabaseOperatorConfig, KeysConfig } from '../config/types.ts';
import type { ObjectMeta } from './resources.ts';
import type { DatabaseMatch, IntentResult } from './types.ts';

/** The reason lifeboat suggests for an exemption in favour of the operator's backup. */
export const DATABASE_EXEMPT_REASON = 'database-native';

/**
 * Which configured operator made the claim: an ownerReference to one of the operators' kinds wins over a label (it
 * names the very object); within each, the config's order decides.
 */
export function recogniseDatabase(
  metadata: Pick<ObjectMeta, 'labels' | 'ownerReferences'>,
  databases: Readonly<Record<string, DatabaseOperatorConfig>>,
): DatabaseMatch | undefined {
  const operators = Object.entries(databases);
  for (const ref of metadata.ownerReferences ?? []) {
    const slash = ref.apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
    for (const [operator, config] of operators) {
      if (config.owners.some((o) => o.group === group && o.kind === ref.kind)) {
        return { operator, evidence: `ownerReference ${ref.apiVersion} ${ref.kind} ${ref.name}` };
      }
    }
  }
  const labels = metadata.labels ?? {};
  for (const [operator, config] of operators) {
    const label = config.labels.find((l) => l.key in labels && (l.value === undefined || labels[l.key] === l.value));
    if (label) return { operator, evidence: `label ${formatLabel({ key: label.key, value: labels[label.key] })}` };
  }
  return undefined;
}

/**
 * The database verdict: an unlabelled claim becomes `database` (native backup expected); a protected one stays
 * protected, with a `DatabaseFileCopy` warning that suggests the exemption with a reason. Every other intent is
 * left as it is (exempt already says why; invalid and not-opted-in have their own fix to make first).
 */
export function withDatabase(result: IntentResult, match: DatabaseMatch | undefined, keys: KeysConfig): IntentResult {
  if (match === undefined || result.intent.kind === 'excluded') return result;
  switch (result.intent.kind) {
    case 'unlabelled':
      return { ...result, intent: { kind: 'database', database: match }, database: match };
    case 'protected':
      return {
        ...result,
        database: match,
        warnings: [...result.warnings, { reason: 'DatabaseFileCopy', message: fileCopyWarning(match, keys) }],
      };
    default:
      return { ...result, database: match };
  }
}

function fileCopyWarning(match: DatabaseMatch, keys: KeysConfig): string {
  return (
    `database operator ${match.operator} made this PVC (${match.evidence}), and ${keys.backupLabel} asks for a ` +
    "file-level copy of it: a copy of a running database is crash-consistent at best, so the operator's own backup " +
    `is the one to restore from. lifeboat backs it up as asked; to leave it to the operator instead, replace ` +
    `${keys.backupLabel} with ${keys.exemptLabel}: "true" and the annotation ${keys.exemptReasonAnnotation}: ` +
    DATABASE_EXEMPT_REASON
  );
}

/** The message of the `database` verdict. */
export function nativeBackupMessage(match: DatabaseMatch): string {
  return `database: native backup expected (operator ${match.operator}, ${match.evidence}); lifeboat makes no copy`;
}
