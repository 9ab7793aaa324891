/**
 * One AdmissionReview in, one answer out: codec → Namespace → scope → (one shared) decision → mutate or validate →
 * response, with metrics and a log entry. Never throws and never hangs: the Namespace lookup and the decision share a
 * budget well inside the webhook's timeoutSeconds, and whatever is late or fails becomes `unknown` (denied by the
 * validating webhook, with the cause), so lifeboat answers the API server itself instead of letting it time out.
 */
import type { LifeboatConfig } from '../config/types.ts';
import type { Namespace } from '../intent/resources.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { DecisionMemo } from './decision-memo.ts';
import { type AdmissionFacts, checkFacts, type DecisionSource, type NamespaceSource } from './facts.ts';
import type { AdmissionMetrics, RequestResult, WebhookName } from './metrics.ts';
import { mutatePvc } from './mutate.ts';
import { type AdmissionOutcome, applyBreakGlass, type BreakGlassScope, deny } from './outcome.ts';
import {
  type AdmissionReviewResponse,
  type PvcCreateRequest,
  parseAdmissionReview,
  passResponse,
  reviewResponse,
  type StatusBody,
  statusBody,
} from './review.ts';
import { assessPvc, breakGlassScope } from './scope.ts';
import { BREAK_GLASS_REMEDY, validatePvc } from './validate.ts';

export interface AdmissionHandlerOptions {
  config: LifeboatConfig;
  decisions: DecisionSource;
  namespaces: NamespaceSource;
  /** Global break-glass (a config setting): every denial becomes allowed-with-warning. Read on every request. */
  breakGlass?: boolean | (() => boolean);
  /** Budget for the Namespace lookup plus the decision. Default 2 s (the webhooks time out after 5 s). */
  decisionBudgetMs?: number;
  memo?: DecisionMemo;
  metrics?: AdmissionMetrics;
  logger?: Logger;
}

/** What the request log hook receives for every request (tests assert which PVCs reached the webhook). */
export interface AdmissionRequestLog {
  webhook: WebhookName;
  result: RequestResult;
  httpStatus: number;
  uid?: string;
  namespace?: string;
  name?: string;
  dryRun?: boolean;
  allowed?: boolean;
  patched?: boolean;
  decision?: string;
  cause?: string;
  breakGlass?: BreakGlassScope;
  /** Filled in by the server. */
  durationMs?: number;
}

export interface HandlerAnswer {
  httpStatus: number;
  body: AdmissionReviewResponse | StatusBody;
  log: AdmissionRequestLog;
}

export type AdmissionHandler = (webhook: WebhookName, body: string | Uint8Array) => Promise<HandlerAnswer>;

const TIMED_OUT = Symbol('timed out');

async function within<T>(work: () => T | Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  try {
    return await Promise.race([Promise.resolve().then(work), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function createAdmissionHandler(options: AdmissionHandlerOptions): AdmissionHandler {
  const budgetMs = options.decisionBudgetMs ?? 2_000;
  const memo = options.memo ?? new DecisionMemo();
  const log = options.logger ?? silentLogger;
  const metrics = options.metrics;
  const globalBreakGlass = (): boolean =>
    typeof options.breakGlass === 'function' ? options.breakGlass() : options.breakGlass === true;

  const lookupNamespace = async (name: string, ms: number): Promise<Namespace | undefined> => {
    try {
      const ns = await within(() => options.namespaces(name), ms);
      if (ns === TIMED_OUT) {
        log.warn('admission: namespace lookup timed out', { namespace: name, budgetMs: ms });
        return undefined;
      }
      return ns;
    } catch (error) {
      log.warn('admission: namespace lookup failed', { namespace: name, error: (error as Error).message });
      return undefined;
    }
  };

  /** Asks the source, giving up at `deadline` (the request's budget, shared with the Namespace lookup). */
  const askSource = async (req: PvcCreateRequest, deadline: number): Promise<AdmissionFacts> => {
    const ref = `${req.namespace}/${req.name}`;
    try {
      const facts = await within(
        () => options.decisions.decideForAdmission(req.namespace, req.name, req.pvc),
        deadline - Date.now(),
      );
      if (facts !== TIMED_OUT) return checkFacts(facts);
      log.warn('admission: decision timed out', { pvc: ref, budgetMs });
      return unknownFacts(
        'decision-timeout',
        `decision-timeout: the restore decision for ${ref} took longer than the ${budgetMs} ms admission budget (the catalog may be answering a cold miss or be overloaded); a retry usually succeeds`,
      );
    } catch (error) {
      log.error('admission: decision source failed', { pvc: ref, error: (error as Error).message });
      return unknownFacts(
        'decision-error',
        `decision-error: the restore decision for ${ref} failed inside lifeboat (see its logs); retry, and report it if it persists`,
      );
    }
  };

  const judge = async (webhook: WebhookName, req: PvcCreateRequest): Promise<AdmissionOutcome> => {
    const deadline = Date.now() + budgetMs;
    const namespace = await lookupNamespace(req.namespace, budgetMs);
    const scope = assessPvc(req.pvc, namespace, options.config);
    let facts: AdmissionFacts | undefined;
    // With generateName the mutating call sees no name yet: no PVC with a random name has backups, and the
    // validating call (which sees the name) still checks the decision.
    if (scope.kind === 'decide' && req.name !== '') {
      facts = await memo.get(`${req.namespace}/${req.name}`, webhook === 'validate', () => askSource(req, deadline));
    }
    if (webhook === 'mutate') return mutatePvc({ pvc: req.pvc, scope, ...(facts ? { facts } : {}) });
    const breakGlass = breakGlassScope(namespace, globalBreakGlass());
    return validatePvc({ pvc: req.pvc, scope, ...(facts ? { facts } : {}), ...(breakGlass ? { breakGlass } : {}) });
  };

  const record = (webhook: WebhookName, req: PvcCreateRequest, outcome: AdmissionOutcome): void => {
    if (outcome.decision) metrics?.decision(webhook, outcome.decision.decision, outcome.decision.cause);
    const fields = { webhook, pvc: `${req.namespace}/${req.name}`, uid: req.uid, user: req.user };
    if (outcome.result === 'denied' && outcome.denial) {
      metrics?.denial(webhook, outcome.denial.cause);
      log.warn('admission: denied', { ...fields, cause: outcome.denial.cause, dryRun: req.dryRun });
    } else if (outcome.result === 'break-glass' && outcome.denial && outcome.breakGlass) {
      metrics?.brokeGlass(webhook, outcome.denial.cause, outcome.breakGlass);
      log.warn('admission: allowed by break-glass', {
        ...fields,
        cause: outcome.denial.cause,
        scope: outcome.breakGlass,
      });
    } else {
      log.debug('admission: allowed', { ...fields, result: outcome.result, cause: outcome.decision?.cause });
    }
  };

  return async (webhook, body) => {
    const parsed = parseAdmissionReview(body);
    if (parsed.kind === 'invalid') {
      return {
        httpStatus: 400,
        body: statusBody(400, 'BadRequest', `not an AdmissionReview lifeboat can answer: ${parsed.message}`),
        log: { webhook, result: 'invalid', httpStatus: 400 },
      };
    }
    if (parsed.kind === 'pass') {
      log.debug('admission: passed through', { webhook, uid: parsed.uid, why: parsed.why });
      return { httpStatus: 200, body: passResponse(parsed.uid), log: { webhook, result: 'passed', httpStatus: 200 } };
    }
    if (parsed.kind === 'reject') {
      const outcome = deny(
        {
          cause: 'malformed-request',
          message: `malformed-request: lifeboat cannot read this PVC: ${parsed.message}`,
          code: 400,
        },
        [],
      );
      return {
        httpStatus: 200,
        body: reviewResponse(parsed.uid, outcome),
        log: { webhook, result: 'rejected', httpStatus: 200, uid: parsed.uid, allowed: false },
      };
    }
    let outcome: AdmissionOutcome;
    try {
      outcome = await judge(webhook, parsed);
    } catch (error) {
      // A bug must not turn into an API-server timeout or an allow: deny, say so, and let global break-glass apply.
      log.error('admission: handler failed', { webhook, uid: parsed.uid, error: (error as Error).message });
      outcome = applyBreakGlass(
        deny(
          {
            cause: 'internal-error',
            message: `internal-error: lifeboat failed while judging PVC ${parsed.namespace}/${parsed.name} (see its logs); retry, and report it if it persists; ${BREAK_GLASS_REMEDY}`,
            code: 403,
          },
          [],
        ),
        globalBreakGlass() ? 'global' : undefined,
      );
    }
    record(webhook, parsed, outcome);
    return {
      httpStatus: 200,
      body: reviewResponse(parsed.uid, outcome),
      log: {
        webhook,
        result: outcome.result,
        httpStatus: 200,
        uid: parsed.uid,
        namespace: parsed.namespace,
        name: parsed.name,
        dryRun: parsed.dryRun,
        allowed: outcome.allowed,
        patched: outcome.result === 'patched',
        ...(outcome.decision ? { decision: outcome.decision.decision } : {}),
        ...(outcome.denial || outcome.decision
          ? { cause: outcome.denial?.cause ?? outcome.decision?.cause ?? '' }
          : {}),
        ...(outcome.breakGlass ? { breakGlass: outcome.breakGlass } : {}),
      },
    };
  };
}

function unknownFacts(cause: string, message: string): AdmissionFacts {
  return { decision: { decision: 'unknown', authoritative: false, cause, message } };
}
