/**
 * Field rules shared by the config sections: each says what is wrong with a value and how to fix it.
 */
import { KOPIA_IDENTITY_PART, KOPIA_SOURCE_PATH, splitIdentity } from '../mover/index.ts';
import { placeholders, renderTemplate, type TemplateVariable } from '../template.ts';
import { isDnsLabel, isDnsSubdomain, isQualifiedKey, isQuantity } from './formats.ts';
import type { Rule } from './reader.ts';

export const dnsLabel: Rule<string> = {
  check: (v) => (isDnsLabel(v) ? undefined : `"${v}" is not a valid namespace-style name`),
  fix: 'use lowercase letters, digits and "-", at most 63 characters, starting and ending with a letter or digit',
};

export const dnsSubdomain: Rule<string> = {
  check: (v) => (isDnsSubdomain(v) ? undefined : `"${v}" is not a valid Kubernetes object name`),
  fix: 'use lowercase letters, digits, "-" and ".", at most 253 characters',
};

export const qualifiedKey: Rule<string> = {
  check: (v) => (isQualifiedKey(v) ? undefined : `"${v}" is not a valid label or annotation key`),
  fix: 'write [prefix/]name, e.g. lifeboat.dev/backup-exempt-reason; the name part at most 63 characters',
};

export const quantity: Rule<string> = {
  check: (v) => (isQuantity(v) ? undefined : `"${v}" is not a positive Kubernetes quantity`),
  fix: 'write a size such as 2Gi or 500Mi',
};

/** Sample values used to check that a template renders to something valid for every real PVC. */
const SAMPLE: Record<TemplateVariable, string> = { namespace: 'ns', pvc: 'pvc' };

/** Templates may use only the listed placeholders; `required` ones must appear. */
export function templateProblem(
  template: string,
  allowed: readonly TemplateVariable[],
  required: readonly TemplateVariable[],
): string | undefined {
  const used = placeholders(template);
  const unknown = used.find((p) => !(allowed as readonly string[]).includes(p));
  if (unknown !== undefined) {
    return `uses the unknown placeholder {${unknown}}; allowed: ${allowed.map((a) => `{${a}}`).join(', ')}`;
  }
  const missing = required.find((r) => !used.includes(r));
  if (missing !== undefined) return `does not contain {${missing}}, so PVCs would share one value`;
  return undefined;
}

/** A generated object's name template: must contain `{pvc}` and render to a valid object name. */
export const nameTemplate: Rule<string> = {
  check: (v) => {
    const problem = templateProblem(v, ['pvc'], ['pvc']);
    if (problem) return problem;
    const sample = renderTemplate(v, SAMPLE);
    return isDnsSubdomain(sample) ? undefined : `renders to "${sample}", not a valid Kubernetes object name`;
  },
  fix: 'write lowercase letters, digits and "-" around {pvc}, e.g. {pvc}-backup',
};

/** `repository.identity`: kopia's snapshot-source form, checked for every mover as before. */
export const identityTemplate: Rule<string> = {
  check: (v) => {
    const parts = splitIdentity(v);
    if (!parts) return `"${v}" is not of the form username@hostname:${KOPIA_SOURCE_PATH}`;
    const problem = templateProblem(v, ['namespace', 'pvc'], ['pvc']);
    if (problem) return problem;
    if (parts.path !== KOPIA_SOURCE_PATH) {
      return `path "${parts.path}" differs from ${KOPIA_SOURCE_PATH}, where VolSync mounts the source`;
    }
    for (const part of [parts.username, parts.hostname]) {
      const sample = renderTemplate(part, SAMPLE);
      if (!KOPIA_IDENTITY_PART.test(sample)) {
        return `"${part}" renders to "${sample}", which kopia identities do not allow`;
      }
    }
    return undefined;
  },
  fix: 'write e.g. {pvc}-backup@{namespace}:/data (letters, digits, ".", "_", "-" around the placeholders)',
};
