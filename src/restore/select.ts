/**
 * Which snapshot a point-in-time restore uses: the newest, the newest at or before a time (`--as-of`), the n-th
 * before the newest (`--previous n`, 0 = newest, as VolSync's `previous`), or one by id (`--snapshot`, a unique
 * prefix is enough). Only complete snapshots count: an unfinished Kopia checkpoint is never a restore point. Pure.
 */
import type { Decision } from '../decision/decide.ts';
import type { Snapshot } from '../repository/types.ts';

export type Selection =
  | { kind: 'newest' }
  | { kind: 'as-of'; timeMs: number; text: string }
  | { kind: 'previous'; n: number }
  | { kind: 'snapshot'; id: string };

export type SelectionResult = { snapshot: Snapshot } | { refusal: string };

/** The selection the flags ask for, or a message saying what is wrong with them. */
export function parseSelection(flags: { asOf?: string; previous?: string; snapshot?: string }): Selection | string {
  const given = [flags.asOf, flags.previous, flags.snapshot].filter((f) => f !== undefined);
  if (given.length > 1) return 'choose one of --as-of, --previous and --snapshot';
  if (flags.asOf !== undefined) {
    const timeMs = Date.parse(flags.asOf);
    if (Number.isNaN(timeMs) || !/^\d{4}-\d{2}-\d{2}/.test(flags.asOf)) {
      return `--as-of "${flags.asOf}" is not a time: write it like 2026-06-01T03:00:00Z (RFC 3339)`;
    }
    return { kind: 'as-of', timeMs, text: flags.asOf };
  }
  if (flags.previous !== undefined) {
    const n = Number(flags.previous);
    if (!/^\d+$/.test(flags.previous) || !Number.isSafeInteger(n)) {
      return `--previous "${flags.previous}" must be a whole number (0 = the newest snapshot, 1 = the one before it)`;
    }
    return { kind: 'previous', n };
  }
  if (flags.snapshot !== undefined) {
    if (!/^[0-9a-zA-Z]{4,}$/.test(flags.snapshot)) return `--snapshot "${flags.snapshot}" is not a snapshot id`;
    return { kind: 'snapshot', id: flags.snapshot };
  }
  return { kind: 'newest' };
}

export function describeSelection(selection: Selection): string {
  switch (selection.kind) {
    case 'newest':
      return 'the newest snapshot';
    case 'as-of':
      return `the newest snapshot at or before ${selection.text}`;
    case 'previous':
      return selection.n === 0 ? 'the newest snapshot' : `snapshot number ${selection.n} before the newest`;
    case 'snapshot':
      return `snapshot ${selection.id}`;
  }
}

/** The snapshot for `selection` from an authoritative catalog decision, or why there is none. */
export function selectSnapshot(decision: Decision, selection: Selection, where: string): SelectionResult {
  if (decision.decision === 'unknown') {
    return {
      refusal: `the repository cannot be read reliably for ${where}, so no snapshot can be chosen: ${decision.message}`,
    };
  }
  const snapshots = decision.snapshots;
  if (decision.decision === 'fresh' || snapshots.length === 0) {
    return { refusal: `${where} has no backup to restore: ${decision.message}` };
  }
  const available = () =>
    `${snapshots.length} snapshot(s), from ${snapshots.at(-1)?.time} to ${snapshots[0]?.time} (lifeboat check lists them)`;
  switch (selection.kind) {
    case 'newest':
      return { snapshot: snapshots[0] as Snapshot };
    case 'previous': {
      const s = snapshots[selection.n];
      return s ? { snapshot: s } : { refusal: `--previous ${selection.n}: ${where} has only ${available()}` };
    }
    case 'as-of': {
      const s = snapshots.find((x) => x.timeMs <= selection.timeMs);
      return s
        ? { snapshot: s }
        : { refusal: `no snapshot of ${where} at or before ${selection.text}: there are ${available()}` };
    }
    case 'snapshot': {
      const matches = snapshots.filter((x) => x.id === selection.id || x.id.startsWith(selection.id));
      const exact = matches.find((x) => x.id === selection.id);
      if (exact) return { snapshot: exact };
      if (matches.length === 1) return { snapshot: matches[0] as Snapshot };
      if (matches.length > 1)
        return { refusal: `--snapshot ${selection.id} matches ${matches.length} snapshots: give more of the id` };
      return { refusal: `no complete snapshot ${selection.id} of ${where}: there are ${available()}` };
    }
  }
}
