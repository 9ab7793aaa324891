import { LEGACY_EXEMPT_REASON_ANNOTATION } from '../config/keys.ts';
import { editDistance, typoBudget } from '../config/suggest.ts';
import type { KeysConfig } from '../config/types.ts';
import type { ObjectMeta } from './resources.ts';

export type KeyPlace = 'label' | 'annotation';

/** A key on a PVC that looks like one lifeboat reads but is not it, so lifeboat ignores it. */
export interface NearMiss {
  /** The key as written on the PVC. */
  found: string;
  foundOn: KeyPlace;
  /** The key lifeboat reads. */
  expected: string;
  expectedOn: KeyPlace;
}

/**
 * Finds keys that are probably meant as one of lifeboat's keys (docs/design.md#near-miss-keys: a bare
 * `backup-exempt-reason` sat
 * ignored for days). A key is a near miss of an expected key when it is the expected key in the wrong place
 * (annotation instead of label), has the same name under another or no prefix (`backup-exempt-reason`,
 * `storage.vanillax.dev/backup-exempt-reason`), or is within a typo or two of it.
 */
export function findNearMisses(metadata: ObjectMeta, keys: KeysConfig): NearMiss[] {
  const expected: [string, KeyPlace][] = [
    [keys.backupLabel, 'label'],
    [keys.exemptLabel, 'label'],
    [keys.exemptReasonAnnotation, 'annotation'],
  ];
  const isExact = (key: string, place: KeyPlace) => expected.some(([k, p]) => k === key && p === place);
  const present: [string, KeyPlace][] = [
    ...Object.keys(metadata.labels ?? {}).map((k): [string, KeyPlace] => [k, 'label']),
    ...Object.keys(metadata.annotations ?? {}).map((k): [string, KeyPlace] => [k, 'annotation']),
  ];

  const misses: NearMiss[] = [];
  for (const [found, foundOn] of present) {
    if (isExact(found, foundOn)) continue;
    const match = expected.find(([key, place]) => resembles(found, foundOn, key, place));
    if (match) misses.push({ found, foundOn, expected: match[0], expectedOn: match[1] });
  }
  return misses;
}

function resembles(found: string, foundOn: KeyPlace, expected: string, expectedOn: KeyPlace): boolean {
  if (found === expected) return foundOn !== expectedOn;
  if (found === LEGACY_EXEMPT_REASON_ANNOTATION && expectedOn === 'annotation') return true;
  if (nameOf(found) === nameOf(expected)) return true;
  return editDistance(found, expected) <= typoBudget(expected);
}

function nameOf(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

/** "label backup-exempt-reason is ignored: lifeboat reads the annotation lifeboat.dev/backup-exempt-reason". */
export function describeNearMiss(miss: NearMiss): string {
  const fix =
    miss.found === miss.expected
      ? `move it from the ${miss.foundOn}s to the ${miss.expectedOn}s`
      : `rename it to ${miss.expected}`;
  return `${miss.foundOn} "${miss.found}" is ignored: lifeboat reads the ${miss.expectedOn} "${miss.expected}"; ${fix}`;
}
