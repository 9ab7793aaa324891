import { DEFAULT_CONFIG } from './defaults.ts';
import { childPath } from './issues.ts';
import type { Reader, Rule, Section } from './reader.ts';
import type { VerifyConfig } from './types.ts';

const DAY = 24 * 3_600_000;

/**
 * A sentinel file's path inside the volume: relative, no `..`, no empty or `.` segment, so the drill's check can
 * never read outside the restored volume. Shared by `verify.sentinel` and the PVC annotation.
 */
export function sentinelPathProblem(v: string): string | undefined {
  if (v === '' || v.length > 1024) return 'is empty or longer than 1024 characters';
  if (v.startsWith('/')) return `"${v}" is absolute`;
  if (v.includes('\0')) return `"${v}" contains a NUL byte`;
  const parts = v.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return `"${v}" has an empty, "." or ".." segment`;
  return undefined;
}

export const SENTINEL_FIX =
  'write the path of the sentinel file relative to the volume root, e.g. .lifeboat-sentinel or app/sentinel; the ' +
  'application writes <path>.sha256 beside it (sha256sum format)';

const sentinelRule: Rule<string> = {
  check: (v) => sentinelPathProblem(v),
  fix: SENTINEL_FIX,
};

/** `verify:`: restore drills (see `VerifyConfig`). */
export function readVerify(r: Reader, root: Section): VerifyConfig {
  const d = DEFAULT_CONFIG.verify;
  const s = r.section(root.values.verify, 'verify', [
    'enabled',
    'interval',
    'maxAge',
    'concurrency',
    'perRepository',
    'timeout',
    'sentinel',
  ]);
  const verify: VerifyConfig = {
    enabled: r.boolean(s, 'enabled', d.enabled),
    // More often than daily would restore every volume's data over and over: a drill costs a full restore.
    interval: r.duration(s, 'interval', d.interval, DAY),
    maxAge: r.duration(s, 'maxAge', d.maxAge, DAY),
    concurrency: r.integer(s, 'concurrency', d.concurrency, 1),
    perRepository: r.integer(s, 'perRepository', d.perRepository, 1),
    // A restore plus a scan of a small volume takes minutes; less would time out healthy drills.
    timeout: r.duration(s, 'timeout', d.timeout, 5 * 60_000),
  };
  const sentinel = r.optionalString(s, 'sentinel', sentinelRule);
  if (sentinel !== undefined) verify.sentinel = sentinel;
  if (verify.enabled && verify.maxAge < verify.interval) {
    r.report(
      childPath(s.path, 'maxAge'),
      `is shorter than verify.interval, so every PVC would be reported without proof between two drills`,
      'make maxAge at least as long as interval (the default is twice it: 14d for 7d)',
    );
  }
  return verify;
}
