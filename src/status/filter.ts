/** Narrowing a ledger for display (`lifeboat status --namespace --verdict`, `/audit?namespace=&verdict=`). Pure. */
import { isBadRestore } from '../decision/restore-verdict.ts';
import { LEDGER_VERDICTS, type Ledger, type LedgerRow, type LedgerSummary, type LedgerVerdict } from './types.ts';

export interface LedgerFilter {
  namespace?: string;
  verdicts?: readonly LedgerVerdict[];
}

/** Verdict names from a comma-separated list; throws naming the unknown ones and the valid choices. */
export function parseVerdicts(text: string): LedgerVerdict[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(LEDGER_VERDICTS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new RangeError(
      `unknown verdict "${unknown.join(', ') || text}": use one or more of ${LEDGER_VERDICTS.join(', ')}`,
    );
  }
  return names as LedgerVerdict[];
}

export function summarizeRows(rows: readonly LedgerRow[]): LedgerSummary {
  const byVerdict = Object.fromEntries(LEDGER_VERDICTS.map((v) => [v, 0])) as Record<LedgerVerdict, number>;
  for (const r of rows) byVerdict[r.verdict]++;
  return {
    total: rows.length,
    byVerdict,
    stale: rows.filter((r) => r.stale).length,
    restoreNotReady: rows.filter((r) => r.restoreReady && !r.restoreReady.ready).length,
    restoreNotVerified: rows.filter((r) => r.restored && isBadRestore(r.restored.outcome)).length,
    databaseFileCopies: rows.filter((r) => r.database && (r.verdict === 'protected' || r.verdict === 'waiting')).length,
    notProven: rows.filter((r) => r.verdict === 'protected' && r.proven?.overdue).length,
    drillsFailing: rows.filter((r) => r.proven?.lastDrill && r.proven.lastDrill.outcome !== 'passed').length,
  };
}

/** The rows that pass the filter, with the summary of those rows. */
export function filterLedger(ledger: Ledger, filter: LedgerFilter): Ledger {
  const rows = ledger.rows.filter(
    (r) =>
      (filter.namespace === undefined || r.namespace === filter.namespace) &&
      (filter.verdicts === undefined || filter.verdicts.includes(r.verdict)),
  );
  // Everything beyond the rows (repository report, maintenance, ...) passes through unfiltered.
  return { ...ledger, summary: summarizeRows(rows), rows };
}
