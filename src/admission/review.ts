/**
 * AdmissionReview v1 codec: request bodies in, response bodies out. Total over its input: any byte string yields one
 * of four answers, never an exception.
 *
 * - `invalid`: not an AdmissionReview v1 with a request uid; there is nothing to answer, so the server replies
 *   HTTP 400 with a Status that says what was wrong (the API server then applies the webhook's failurePolicy).
 * - `pass`: a well-formed review lifeboat has no business with (another kind, another operation, a subresource):
 *   allowed untouched. The webhook configurations never send these; allowing keeps a misregistration from blocking
 *   unrelated objects (docs/design.md#webhook-outage: intercepting every operation once blocked PVC deletion).
 * - `reject`: a PVC CREATE whose object is not a usable PVC: denied with code 400 and the reason.
 * - `pvc-create`: the PVC, with its namespace filled in from the request.
 */
import type { AdmissionPvc } from './facts.ts';
import { type AdmissionOutcome, MAX_WARNING_LENGTH, oneLine } from './outcome.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export type ParsedReview =
  | { kind: 'invalid'; message: string }
  | { kind: 'pass'; uid: string; why: string }
  | { kind: 'reject'; uid: string; message: string }
  | PvcCreateRequest;

export interface PvcCreateRequest {
  kind: 'pvc-create';
  uid: string;
  namespace: string;
  /** Empty when the PVC uses generateName and the API server has not picked the name yet (mutating phase). */
  name: string;
  pvc: AdmissionPvc;
  dryRun: boolean;
  /** Who is creating it, for logs. */
  user?: string;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: {
    uid: string;
    allowed: boolean;
    status?: { status: 'Failure'; code: number; reason: string; message: string };
    patchType?: 'JSONPatch';
    /** base64 of the JSON Patch. */
    patch?: string;
    warnings?: string[];
  };
}

/** A metav1.Status, the body of HTTP-level rejections. */
export interface StatusBody {
  apiVersion: 'v1';
  kind: 'Status';
  status: 'Failure';
  code: number;
  reason: string;
  message: string;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const MAX_WARNINGS = 16;
const MAX_MESSAGE_LENGTH = 8 * 1024;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return oneLine(text ?? String(value), 60);
}

export function parseAdmissionReview(body: string | Uint8Array): ParsedReview {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch (error) {
    return { kind: 'invalid', message: `the body is not JSON (${oneLine((error as Error).message, 120)})` };
  }
  if (!isObject(doc)) return { kind: 'invalid', message: 'the body is not a JSON object' };
  if (doc.kind !== ADMISSION_KIND || doc.apiVersion !== ADMISSION_API_VERSION) {
    return {
      kind: 'invalid',
      message:
        `expected apiVersion ${ADMISSION_API_VERSION} kind ${ADMISSION_KIND}, got apiVersion ${preview(doc.apiVersion)} ` +
        `kind ${preview(doc.kind)}; lifeboat speaks only v1 (admissionReviewVersions: [v1])`,
    };
  }
  const request = doc.request;
  if (!isObject(request)) return { kind: 'invalid', message: 'the AdmissionReview has no request object' };
  const uid = request.uid;
  if (typeof uid !== 'string' || uid.length === 0 || uid.length > 256) {
    return { kind: 'invalid', message: 'request.uid is missing, empty, not a string or longer than 256 characters' };
  }
  return parseRequest(uid, request);
}

function parseRequest(uid: string, request: Json): ParsedReview {
  const gvk = request.kind;
  if (!isObject(gvk) || gvk.group !== '' || gvk.kind !== 'PersistentVolumeClaim') {
    return { kind: 'pass', uid, why: `kind ${preview(isObject(gvk) ? gvk.kind : gvk)} is not a PersistentVolumeClaim` };
  }
  if (request.subResource !== undefined && request.subResource !== '') {
    return { kind: 'pass', uid, why: `subresource ${preview(request.subResource)} is not admitted by lifeboat` };
  }
  if (request.operation !== 'CREATE') {
    return { kind: 'pass', uid, why: `operation ${preview(request.operation)} is not admitted by lifeboat` };
  }
  const namespace = request.namespace;
  if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 63 || !NAME.test(namespace)) {
    return { kind: 'reject', uid, message: `request.namespace ${preview(namespace)} is not a namespace name` };
  }
  const object = request.object;
  if (!isObject(object) || !isObject(object.metadata)) {
    return { kind: 'reject', uid, message: 'request.object is not a PersistentVolumeClaim with metadata' };
  }
  const problem = pvcProblem(object, namespace);
  if (problem) return { kind: 'reject', uid, message: `request.object: ${problem}` };
  const metadata = object.metadata as unknown as AdmissionPvc['metadata'];
  const pvc: AdmissionPvc = {
    ...(object as unknown as AdmissionPvc),
    metadata: { ...metadata, name: metadata.name ?? '', namespace },
  };
  const userInfo = request.userInfo;
  const user = isObject(userInfo) && typeof userInfo.username === 'string' ? userInfo.username : undefined;
  return {
    kind: 'pvc-create',
    uid,
    namespace,
    name: pvc.metadata.name,
    pvc,
    dryRun: request.dryRun === true,
    ...(user !== undefined ? { user } : {}),
  };
}

/** What makes an object unusable as a PVC for lifeboat's purposes, or undefined. */
function pvcProblem(object: Json, namespace: string): string | undefined {
  const metadata = object.metadata as Json;
  const name = metadata.name ?? '';
  if (typeof name !== 'string') return 'metadata.name is not a string';
  if (name !== '' && (name.length > 253 || !NAME.test(name) || name.split('.').some((part) => part.length > 63))) {
    return `metadata.name "${oneLine(name, 80)}" is not a valid PVC name (lower-case letters, digits, '-' and '.', at most 253 characters)`;
  }
  if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace) {
    return `metadata.namespace ${preview(metadata.namespace)} differs from request.namespace ${namespace}`;
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined || map === null) continue;
    if (!isObject(map)) return `metadata.${field} is not a map`;
    const bad = Object.entries(map).find(([, v]) => typeof v !== 'string');
    if (bad) return `metadata.${field}["${oneLine(bad[0], 80)}"] is not a string`;
  }
  const spec = object.spec;
  if (spec === undefined || spec === null) return undefined;
  if (!isObject(spec)) return 'spec is not an object';
  for (const field of ['dataSource', 'dataSourceRef'] as const) {
    const ref = spec[field];
    if (ref === undefined || ref === null) continue;
    if (!isObject(ref) || typeof ref.kind !== 'string' || typeof ref.name !== 'string') {
      return `spec.${field} is not an object reference with a kind and a name`;
    }
    for (const key of ['apiGroup', 'namespace'] as const) {
      if (ref[key] !== undefined && ref[key] !== null && typeof ref[key] !== 'string') {
        return `spec.${field}.${key} is not a string`;
      }
    }
  }
  return undefined;
}

/** The AdmissionReview answering `uid` with an outcome. */
export function reviewResponse(uid: string, outcome: AdmissionOutcome): AdmissionReviewResponse {
  const response: AdmissionReviewResponse['response'] = { uid, allowed: outcome.allowed };
  if (!outcome.allowed && outcome.denial) {
    response.status = {
      status: 'Failure',
      code: outcome.denial.code,
      reason: outcome.denial.code === 400 ? 'BadRequest' : 'Forbidden',
      message: oneLine(outcome.denial.message, MAX_MESSAGE_LENGTH),
    };
  }
  if (outcome.allowed && outcome.patch && outcome.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(outcome.patch)).toString('base64');
  }
  const warnings = [...new Set(outcome.warnings.map((w) => oneLine(w, MAX_WARNING_LENGTH)).filter(Boolean))];
  if (warnings.length > 0) response.warnings = warnings.slice(0, MAX_WARNINGS);
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

/** Allowed, untouched: for `pass` reviews. */
export function passResponse(uid: string): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response: { uid, allowed: true } };
}

export function statusBody(code: number, reason: string, message: string): StatusBody {
  return { apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message: oneLine(message, 1024) };
}
