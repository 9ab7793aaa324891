/**
 * The skip-restore escape hatch (docs/design.md#compatibility-kept-on-purpose): a PVC annotated `skip-restore: "true"`
 * with a non-empty reason starts
 * empty even when backups exist; backups continue as usual. The reason is mandatory because "one stale annotation in
 * Git means restore disabled forever": whoever reads the manifest later must learn why.
 *
 * Read strictly (intent never guesses): a value other than "true"/"false", or the two spellings disagreeing, is
 * malformed and denied rather than read either way. Near-miss keys (`volsync.backube/skip-restore`,
 * `skip-restore`, `skip_restore`) are ignored with a warning: ignoring them restores, which is the safe direction.
 */
import { editDistance, typoBudget } from '../config/suggest.ts';
import { SKIP_RESTORE_ANNOTATIONS, SKIP_RESTORE_REASON_ANNOTATIONS } from './keys.ts';
import { oneLine } from './outcome.ts';

export type SkipRestore =
  | { state: 'off'; warnings: string[] }
  | { state: 'on'; reason: string; key: string; warnings: string[] }
  | { state: 'missing-reason'; key: string; warnings: string[] }
  | { state: 'malformed'; message: string; warnings: string[] };

const ACCEPTED: readonly string[] = [...SKIP_RESTORE_ANNOTATIONS, ...SKIP_RESTORE_REASON_ANNOTATIONS];

export function readSkipRestore(annotations: Readonly<Record<string, string>> | undefined): SkipRestore {
  const all = annotations ?? {};
  const warnings = nearMissWarnings(Object.keys(all));
  const set = SKIP_RESTORE_ANNOTATIONS.filter((key) => all[key] !== undefined).map((key) => ({
    key,
    value: all[key] ?? '',
  }));
  const bad = set.find((s) => s.value !== 'true' && s.value !== 'false');
  if (bad) {
    return {
      state: 'malformed',
      message: `annotation ${bad.key}="${oneLine(bad.value, 80)}" is neither "true" nor "false"; write "true" to start the PVC empty (with a reason in ${SKIP_RESTORE_REASON_ANNOTATIONS[1]}) or remove it`,
      warnings,
    };
  }
  const on = set.find((s) => s.value === 'true');
  const off = set.find((s) => s.value === 'false');
  if (on && off) {
    return {
      state: 'malformed',
      message: `annotations ${on.key}="true" and ${off.key}="false" disagree; keep one of them`,
      warnings,
    };
  }
  if (!on) return { state: 'off', warnings };
  for (const key of SKIP_RESTORE_REASON_ANNOTATIONS) {
    const reason = all[key]?.trim();
    if (reason) return { state: 'on', reason, key: on.key, warnings };
  }
  return { state: 'missing-reason', key: on.key, warnings };
}

/** Annotation keys that look like a skip-restore key but are not one of the accepted spellings. */
function nearMissWarnings(keys: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const key of keys) {
    if (ACCEPTED.includes(key)) continue;
    // Suggest the closest accepted key: `volsync.backube/skip-restore` means the seed spelling, not lifeboat's.
    const [expected] = ACCEPTED.filter((accepted) => resembles(key, accepted)).sort(
      (a, b) => editDistance(key, a) - editDistance(key, b),
    );
    if (expected) {
      warnings.push(`annotation ${oneLine(key, 80)} is ignored by lifeboat; did you mean ${expected}?`);
    }
  }
  return warnings;
}

function resembles(found: string, expected: string): boolean {
  const name = (key: string) => key.slice(key.indexOf('/') + 1);
  const squash = (key: string) =>
    name(key)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
  if (squash(found) === squash(expected)) return true;
  return editDistance(found, expected) <= typoBudget(expected);
}
