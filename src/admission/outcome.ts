/**
 * What a handler decided about one admission request, before it is encoded as an AdmissionReview response, plus the
 * break-glass transformation that turns a denial into an allowed-with-warning.
 */
import type { DecisionValue } from '../decision/decide.ts';

export type JsonPatchOperation = { op: 'add'; path: string; value: unknown } | { op: 'remove'; path: string };

export interface Denial {
  /** Short code: metric label and the first word of the message. */
  cause: string;
  /** Names the cause and the remedy; becomes the API server's error text. */
  message: string;
  /** HTTP-style code of the AdmissionReview status: 403 for policy denials, 400 for malformed requests. */
  code: 400 | 403;
}

export type BreakGlassScope = 'global' | 'namespace';

export type OutcomeResult =
  /** Allowed unchanged (fresh, out of scope, skip-restore). */
  | 'allowed'
  /** Allowed with the restore reference added. */
  | 'patched'
  | 'denied'
  /** Would have been denied; allowed by break-glass. */
  | 'break-glass';

export interface AdmissionOutcome {
  allowed: boolean;
  result: OutcomeResult;
  patch?: JsonPatchOperation[];
  /** The denial, also when break-glass overrode it (for metrics and the log). */
  denial?: Denial;
  breakGlass?: BreakGlassScope;
  /** Shown by kubectl as `Warning: …`. */
  warnings: string[];
  /** The decision the outcome rests on, when one was needed. */
  decision?: { decision: DecisionValue; cause: string };
}

export function allow(warnings: string[], decision?: AdmissionOutcome['decision']): AdmissionOutcome {
  return { allowed: true, result: 'allowed', warnings, ...(decision ? { decision } : {}) };
}

export function deny(denial: Denial, warnings: string[], decision?: AdmissionOutcome['decision']): AdmissionOutcome {
  return { allowed: false, result: 'denied', denial, warnings, ...(decision ? { decision } : {}) };
}

/**
 * Break-glass: a denial becomes an allow that says loudly what was overridden. Malformed requests stay denied (there
 * is no PVC to let through). Restores are still injected by the mutating webhook: break-glass only removes denials.
 */
export function applyBreakGlass(outcome: AdmissionOutcome, scope: BreakGlassScope | undefined): AdmissionOutcome {
  if (outcome.allowed || !scope || !outcome.denial || outcome.denial.code !== 403) return outcome;
  const where = scope === 'global' ? 'lifeboat runs with break-glass on' : 'the namespace has break-glass on';
  return {
    ...outcome,
    allowed: true,
    result: 'break-glass',
    breakGlass: scope,
    warnings: [
      ...outcome.warnings,
      `lifeboat break-glass: ${where}; allowed although it would deny (${outcome.denial.cause}): the PVC may start empty`,
    ],
  };
}

/** Longest warning the API server passes on unchanged (it truncates longer ones). */
export const MAX_WARNING_LENGTH = 256;

/**
 * Makes text safe for an HTTP header and a one-line message: the API server drops warnings with control characters,
 * and user-written values (a skip-restore reason) may contain anything.
 */
export function oneLine(text: string, max?: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  if (max === undefined || flat.length <= max) return flat;
  return `${flat.slice(0, max - 1)}…`;
}
