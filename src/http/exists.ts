/**
 * `GET /exists/{namespace}/{pvc}`: PVC Plumber's v1.5+ contract (docs/design.md#compatibility-kept-on-purpose), so
 * existing Kyverno policies can
 * point at lifeboat unchanged.
 *
 * | decision | HTTP | exists | authoritative | error |
 * | restore  | 200  | true   | true          | —     |
 * | fresh    | 200  | false  | true          | —     |
 * | unknown  | 503  | false  | false         | cause and remedy |
 * | malformed path | 400 | false (decision unknown) | false | "invalid path format…" |
 *
 * `error` appears only on non-authoritative answers: PVC Plumber's callers treat any non-empty `error` as unknown.
 * Fields beyond the contract (`cause`, `message`, `snapshots`, `newest`, `ageSeconds`) are additions callers ignore.
 */
import type { Catalog } from '../catalog/catalog.ts';
import { type Decision, type DecisionValue, decide, type ExpectedHistory } from '../decision/decide.ts';
import { type PvcRef, pvcRefProblem } from '../repository/source.ts';

export interface ExistsBody {
  exists: boolean;
  decision: DecisionValue;
  authoritative: boolean;
  namespace?: string;
  pvc?: string;
  backend?: string;
  source?: string;
  error?: string;
  cause?: string;
  message?: string;
  /** Number of restore points. */
  snapshots?: number;
  newest?: { id: string; time: string };
  /** Age of the catalog facts behind the answer. */
  ageSeconds?: number;
}

export interface ExistsAnswer {
  status: 200 | 400 | 503;
  body: ExistsBody;
  decision?: Decision;
}

/** Supplies what the expected-history ledger knows about a PVC (docs/design.md#authoritative-no-over-existing-data); absent until the ledger exists. */
export type ExpectedHistoryLookup = (ref: PvcRef) => Promise<ExpectedHistory | undefined> | ExpectedHistory | undefined;

const PREFIX = '/exists/';

/**
 * The PVC named by an /exists path. Everything after the namespace's `/` is the PVC name (as in PVC Plumber), so
 * `/exists/ns/a/b` names PVC `a/b` and is rejected as an invalid name rather than silently read as `a`.
 */
export function parseExistsPath(pathname: string): { ref: PvcRef } | { error: string } {
  const usage = 'expected /exists/{namespace}/{pvc}';
  if (!pathname.startsWith(PREFIX)) return { error: `invalid path format: ${usage}` };
  const rest = pathname.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return { error: `invalid path format: ${usage}` };
  let ref: PvcRef;
  try {
    ref = { namespace: decodeURIComponent(rest.slice(0, slash)), pvc: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return { error: `invalid path format: malformed %-escape; ${usage}` };
  }
  const problem = pvcRefProblem(ref);
  return problem ? { error: `invalid path format: ${problem}; ${usage}` } : { ref };
}

export function badRequest(error: string): ExistsAnswer {
  return { status: 400, body: { exists: false, decision: 'unknown', authoritative: false, error } };
}

/** The decision for one PVC from the catalog, shaped as the /exists response. */
export async function existsAnswer(
  catalog: Catalog,
  ref: PvcRef,
  expected?: ExpectedHistoryLookup,
): Promise<ExistsAnswer> {
  const facts = await catalog.lookup(ref);
  const history = expected ? await expected(ref) : undefined;
  const decision = decide({
    facts,
    nowMs: catalog.now(),
    staleAfterMs: catalog.staleAfterMs,
    ...(history ? { expected: history } : {}),
  });
  const body: ExistsBody = {
    exists: decision.decision === 'restore',
    decision: decision.decision,
    authoritative: decision.authoritative,
    namespace: ref.namespace,
    pvc: ref.pvc,
    backend: facts.backend,
    source: facts.source,
    cause: decision.cause,
    message: decision.message,
    snapshots: decision.snapshots.length,
  };
  if (!decision.authoritative) body.error = decision.message;
  if (decision.newest) body.newest = { id: decision.newest.id, time: decision.newest.time };
  if (decision.factsAgeMs !== undefined) body.ageSeconds = Math.round(decision.factsAgeMs / 100) / 10;
  return { status: decision.authoritative ? 200 : 503, body, decision };
}
