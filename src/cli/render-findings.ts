/**
 * What `lifeboat render --strict` fails on, beyond invalid PVCs: everything a GitOps user wants caught before the
 * manifests reach a cluster. Each is a warning without --strict. Pure: the rendered plans and the parsed input in,
 * findings and notes out.
 *
 * - a labelled PVC that would get no backup: its namespace is not opted in, or not in the input at all;
 * - a name the API server would reject (a 300-character PVC, an upper-case namespace, a generated name);
 * - an input file that holds no Kubernetes object (a shell script, an empty file): almost always the wrong path.
 *
 * Notes state what render did that a reader of the YAML might miss: a generated name shortened with a hash to fit a
 * limit, and an assumed namespace opt-in.
 */
import { isDnsLabel, isDnsSubdomain, isLabelValue } from '../config/formats.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { generatedNames } from '../plan/names.ts';
import { renderTemplate } from '../template.ts';
import type { RenderedPvc } from './render-output.ts';

export interface Finding {
  /** `namespace/pvc`, or a file. */
  where: string;
  message: string;
}

const NAME_RULE = "lower-case letters, digits, '-' and '.', at most 253 characters";

/** Findings for the rendered PVCs (invalid verdicts are in the verdict table and not repeated here). */
export function renderFindings(rendered: readonly RenderedPvc[], config: LifeboatConfig): Finding[] {
  const findings: Finding[] = [];
  const optIn = config.keys.namespaceOptInAnnotation;
  for (const { namespace, name, plan } of rendered) {
    const where = `${namespace}/${name}`;
    if (!isDnsLabel(namespace)) {
      findings.push({
        where,
        message: `namespace name "${namespace}" would be rejected by the API server (lower-case letters, digits and '-', at most 63 characters)`,
      });
    }
    if (!isDnsSubdomain(name)) {
      findings.push({
        where,
        message: `PersistentVolumeClaim name (${name.length} characters) would be rejected by the API server (${NAME_RULE})`,
      });
    }
    if (plan.verdict.kind === 'not-opted-in') {
      findings.push({
        where,
        message:
          `labelled ${config.keys.backupLabel}=${plan.verdict.tier} but would get no backup: ${plan.verdict.event.message}. ` +
          `Add its Namespace to the input, or, when the cluster's namespace is annotated ${optIn}: "true", pass ` +
          `--assume-opted-in or --namespace-annotations ${namespace}:${optIn}=true`,
      });
    }
    for (const object of plan.apply) {
      const metadata = object.metadata;
      if (!isDnsSubdomain(metadata.name)) {
        findings.push({
          where,
          message: `generated ${object.kind} name "${metadata.name}" would be rejected by the API server (${NAME_RULE}): change naming in the config`,
        });
      }
      for (const [key, value] of Object.entries(metadata.labels ?? {})) {
        if (!isLabelValue(value)) {
          findings.push({
            where,
            message: `generated ${object.kind} label ${key}="${value}" would be rejected by the API server (at most 63 characters)`,
          });
        }
      }
    }
  }
  return findings;
}

/** Generated names that were shortened with a hash to fit their limit, said plainly (the YAML shows only the result). */
export function shortenedNames(rendered: readonly RenderedPvc[], config: LifeboatConfig): string[] {
  const notes: string[] = [];
  for (const { namespace, name, plan } of rendered) {
    if (plan.apply.length === 0) continue;
    const fitted = generatedNames(name, config.naming);
    const full = (template: string) => renderTemplate(template, { pvc: name, namespace: '' });
    const changed = (
      [
        ['Secret', full(config.naming.secret), fitted.secret],
        ['ReplicationSource', full(config.naming.replicationSource), fitted.replicationSource],
        ['ReplicationDestination', full(config.naming.replicationDestination), fitted.replicationDestination],
      ] as const
    ).filter(([, long, short]) => long !== short);
    for (const [kind, long, short] of changed) {
      notes.push(
        `${namespace}/${name}: ${kind} name shortened with a hash to fit its limit (${short.length} characters): ${short} ` +
          `(the template gives ${long.length} characters)`,
      );
    }
  }
  return notes;
}
