import { isLabelValue, scheduleProblem } from './formats.ts';
import { childPath } from './issues.ts';
import type { Reader, Section } from './reader.ts';
import type { Retention, TierConfig, TierTrigger } from './types.ts';

const RETENTION_KEYS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly', 'last'] as const;

/** `tiers:`: replaces the defaults when present (see `LifeboatConfig.tiers`). */
export function readTiers(r: Reader, root: Section, defaults: Readonly<Record<string, TierConfig>>) {
  const entries = r.entries(root, 'tiers');
  if (entries === undefined) return structuredClone(defaults) as Record<string, TierConfig>;
  if (entries.length === 0) {
    r.report(childPath(root.path, 'tiers'), 'is empty, so no PVC could be protected', 'list at least one tier');
  }
  const tiers: Record<string, TierConfig> = {};
  for (const [name, value, path] of entries) {
    if (!isLabelValue(name) || name === '') {
      r.report(path, `tier name "${name}" cannot be a label value`, 'use letters, digits, "-", "_" or "."; at most 63');
    }
    const tier = readTier(r, r.section(value, path, ['trigger', 'retain']));
    if (tier) tiers[name] = tier;
  }
  return tiers;
}

function readTier(r: Reader, tier: Section): TierConfig | undefined {
  const trigger = readTrigger(
    r,
    r.section(tier.values.trigger, childPath(tier.path, 'trigger'), ['schedule', 'manual']),
  );
  const retain = readRetention(r, r.section(tier.values.retain, childPath(tier.path, 'retain'), RETENTION_KEYS));
  return trigger && retain ? { trigger, retain } : undefined;
}

function readTrigger(r: Reader, trigger: Section): TierTrigger | undefined {
  const schedule = r.optionalString(trigger, 'schedule', {
    check: (v) => {
      const problem = scheduleProblem(v);
      return problem && `"${v}" ${problem}`;
    },
    fix: 'write five cron fields with H as the minute to spread PVCs, e.g. "H 2 * * *" (daily at 02:xx)',
  });
  const manual = r.optionalString(trigger, 'manual');
  if (schedule !== undefined && manual !== undefined) {
    r.report(trigger.path, 'has both schedule and manual', 'keep one: VolSync does not define what both would mean');
    return undefined;
  }
  if (schedule !== undefined) return { schedule };
  if (manual !== undefined) return { manual };
  if (!r.issues.some((i) => i.path.startsWith(trigger.path))) {
    r.report(
      trigger.path,
      'has neither schedule nor manual (a VolSync trigger left empty syncs continuously)',
      'add schedule: "H * * * *" or manual: backup-on-demand',
    );
  }
  return undefined;
}

function readRetention(r: Reader, retain: Section): Retention | undefined {
  const out: Retention = {};
  for (const key of RETENTION_KEYS) {
    const n = r.optionalInteger(retain, key, 1);
    if (n !== undefined) out[key] = n;
  }
  if (Object.keys(out).length > 0) return out;
  if (!r.issues.some((i) => i.path.startsWith(retain.path))) {
    r.report(
      retain.path,
      'keeps nothing (no retention rule means snapshots are never rotated)',
      `set at least one of ${RETENTION_KEYS.join(', ')}, e.g. daily: 14`,
    );
  }
  return undefined;
}
