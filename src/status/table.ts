/** The ledger as table rows for people (`lifeboat status`); scripts use the JSON form. Pure. */
import { isBadRestore } from '../decision/restore-verdict.ts';
import { repositoryReportLines } from './repository-report.ts';
import type { Ledger, LedgerRow } from './types.ts';

/** `45s`, `20m`, `3h10m`, `4d2h`: two units at most, enough to judge an age at a glance. */
export function shortAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
}

/**
 * `protected`, `protected (database file copy)`, `waiting (bind)`, `exempt (cache)`, `database: native backup
 * expected`, `needs attention (UnknownTier)`, `restore point only`.
 */
export function verdictText(row: LedgerRow): string {
  switch (row.verdict) {
    case 'protected':
      return `protected${row.stale ? ', STALE' : ''}${row.database ? ' (database file copy)' : ''}`;
    case 'waiting': {
      const what: Record<string, string> = {
        WaitingForBind: 'bind',
        WaitingForMinAge: 'min-age',
        ReplacingStaleSource: 'stale source',
      };
      return `waiting (${what[row.reason] ?? row.reason})`;
    }
    case 'exempt':
      return `exempt (${row.message})`;
    case 'database':
      return 'database: native backup expected';
    case 'conflict':
      return 'conflict';
    case 'needs-attention':
      return `needs attention (${row.reason})`;
    case 'restore-point-only':
      return 'restore point only';
  }
}

function snapshotsText(row: LedgerRow): [string, string] {
  const s = row.snapshots;
  if (!s) return ['-', '-'];
  const count = s.decision === 'unknown' ? `?${s.count ? ` (${s.count} known)` : ''} ${s.cause}` : String(s.count);
  return [count, s.newestTime ?? '-'];
}

function backupText(row: LedgerRow): string {
  const b = row.backup;
  if (!b) return '-';
  if (!b.lastSyncTime && !b.lastResult) return 'never';
  return [b.lastSyncTime ?? 'no success', b.lastResult ?? ''].filter((x) => x !== '').join(' ');
}

function restorePointText(row: LedgerRow): string {
  const r = row.restorePoint;
  if (!r) return '-';
  const when = r.snapshotTime ?? (r.syncedAt ? `synced ${r.syncedAt}` : 'never synced');
  const age = r.ageSeconds !== null ? ` (${shortAge(r.ageSeconds)})` : '';
  return `${when}${age}${r.restoreInProgress ? `, restoring: ${r.restoreInProgress}` : ''}`;
}

/** `verified 1a2b3c4d… 2026-…`, `MISMATCH 9f8e7d6c 2026-…`, `EMPTY`, `REFUSED`: bad outcomes shout. */
function restoredText(row: LedgerRow): string {
  const r = row.restored;
  if (!r) return '-';
  const outcome = isBadRestore(r.outcome) ? r.outcome.toUpperCase() : r.outcome;
  const [id, time] = (r.from ?? '').split(' ');
  const from = id ? ` ${id.length > 12 ? id.slice(0, 12) : id}${time ? ` ${time}` : ''}` : '';
  return `${outcome}${r.from === 'nothing' ? '' : from}`;
}

/** `2026-…Z (3d)`, `never`, or the failed last drill in capitals with the proof it leaves: `COUNTS-DIFFER (proven 20d ago)`. */
function provenText(row: LedgerRow): string {
  const p = row.proven;
  if (!p) return '-';
  const proof = p.ageSeconds === null ? 'never' : `${p.at} (${shortAge(p.ageSeconds)})`;
  const last = p.lastDrill;
  if (last && last.outcome !== 'passed') {
    return `${last.outcome.toUpperCase()} (proven: ${p.ageSeconds === null ? 'never' : `${shortAge(p.ageSeconds)} ago`})`;
  }
  return p.overdue && p.ageSeconds !== null ? `${proof} OVERDUE` : proof;
}

function readyText(row: LedgerRow): string {
  if (!row.restoreReady) return '-';
  return row.restoreReady.ready ? 'yes' : `no (${row.restoreReady.why})`;
}

/** The header row, one row per ledger row, and the summary line under the table. */
export function ledgerTable(ledger: Ledger): { rows: string[][]; footer: string } {
  const header = [
    'NAMESPACE',
    'PVC',
    'TIER',
    'VERDICT',
    'SNAPSHOTS',
    'NEWEST',
    'LAST BACKUP',
    'RESTORE POINT',
    'RESTORED',
    'PROVEN',
    'RESTORE-READY',
  ];
  const lines = ledger.rows.map((row) => {
    const [count, newest] = snapshotsText(row);
    return [
      row.namespace,
      row.pvc,
      row.tier ?? '-',
      verdictText(row),
      count,
      newest,
      backupText(row),
      restorePointText(row),
      restoredText(row),
      provenText(row),
      readyText(row),
    ];
  });
  const s = ledger.summary;
  const counts = Object.entries(s.byVerdict)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');
  const unverified = s.restoreNotVerified ? `, ${s.restoreNotVerified} restores NOT VERIFIED` : '';
  const copies = s.databaseFileCopies ? `, ${s.databaseFileCopies} database file copies` : '';
  const drills = `${s.drillsFailing ? `, ${s.drillsFailing} restore drills FAILING` : ''}${s.notProven ? `, ${s.notProven} not proven within verify.maxAge` : ''}`;
  const m = ledger.maintenance;
  const extra = [
    ...(m ? [`repository maintenance: ${m.result.toUpperCase()}: ${m.message}`] : []),
    ...(ledger.repository ? repositoryReportLines(ledger.repository) : []),
  ];
  const footer = [
    `${s.total} PVCs${counts ? `: ${counts}` : ''}; ${s.stale} stale, ${s.restoreNotReady} restore points not ready${unverified}${copies}${drills}`,
    ...extra,
  ].join('\n');
  return { rows: [header, ...lines], footer };
}
