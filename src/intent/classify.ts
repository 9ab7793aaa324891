import { DRILL_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../config/keys.ts';
import { closest } from '../config/suggest.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { recogniseDatabase, withDatabase } from './database.ts';
import { describeNearMiss, findNearMisses, type NearMiss } from './near-miss.ts';
import type { Namespace, PersistentVolumeClaim } from './resources.ts';
import type { Intent, IntentResult, IntentWarning, InvalidReason } from './types.ts';

/** Namespaces excluded whatever the config lists: the control plane's own and lifeboat's. */
export function excludedNamespaces(config: LifeboatConfig): Set<string> {
  return new Set(['kube-system', config.namespace, ...config.namespaces.excluded]);
}

/**
 * Reads what the user asked for from a PVC and its Namespace (undefined when the Namespace is not known). Order
 * matters and is part of the contract: system namespaces first (docs/design.md#long-names-and-label-values: check
 * exclusions before anything else),
 * then exemption, then the backup label, then the namespace opt-in; last, whether a database operator made the claim
 * (database.ts).
 */
export function classifyPvc(
  pvc: PersistentVolumeClaim,
  namespace: Namespace | undefined,
  config: LifeboatConfig,
): IntentResult {
  const nearMisses = findNearMisses(pvc.metadata, config.keys);
  const result = { intent: intentOf(pvc, namespace, config, nearMisses), warnings: nearMisses.map(toWarning) };
  return withDatabase(result, recogniseDatabase(pvc.metadata, config.databases), config.keys);
}

function intentOf(
  pvc: PersistentVolumeClaim,
  namespace: Namespace | undefined,
  config: LifeboatConfig,
  nearMisses: readonly NearMiss[],
): Intent {
  const keys = config.keys;
  const nsName = pvc.metadata.namespace ?? namespace?.metadata.name;
  if (nsName === undefined) throw new Error(`PVC ${pvc.metadata.name} has no namespace`);
  if (excludedNamespaces(config).has(nsName)) {
    return { kind: 'excluded', message: `namespace ${nsName} is a system namespace; lifeboat never touches it` };
  }
  // A restore drill's scratch volume (plan/drill.ts): lifeboat's own, deleted when the drill ends.
  if (pvc.metadata.labels?.[DRILL_LABEL] && pvc.metadata.labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) {
    return { kind: 'excluded', message: 'a restore drill’s scratch volume, deleted when the drill ends' };
  }

  const labels = pvc.metadata.labels ?? {};
  const tier = labels[keys.backupLabel];
  const exempt = labels[keys.exemptLabel];
  if (exempt !== undefined && exempt !== 'false') {
    if (exempt !== 'true') {
      return invalid(
        'MalformedExemptLabel',
        `label ${keys.exemptLabel}="${exempt}" is neither "true" nor "false"; write ${keys.exemptLabel}: "true" to exempt this PVC`,
      );
    }
    if (tier !== undefined) {
      return invalid(
        'ConflictingIntent',
        `both ${keys.backupLabel}="${tier}" and ${keys.exemptLabel}="true" are set; remove one of the two labels`,
      );
    }
    const reason = pvc.metadata.annotations?.[keys.exemptReasonAnnotation]?.trim();
    if (reason) return { kind: 'exempt', reason };
    const hints = nearMisses.filter((m) => m.expected === keys.exemptReasonAnnotation).map(describeNearMiss);
    return invalid(
      'ExemptWithoutReason',
      `${keys.exemptLabel}="true" needs a non-empty annotation ${keys.exemptReasonAnnotation} saying why ` +
        `(e.g. cache, scratch, database-native)${hints.length > 0 ? `; ${hints.join('; ')}` : ''}`,
    );
  }

  if (tier === undefined) return { kind: 'unlabelled' };
  const known = Object.keys(config.tiers).sort();
  if (tier === '') {
    return invalid('MalformedBackupLabel', `label ${keys.backupLabel} is empty; set it to one of ${known.join(', ')}`);
  }
  if (!(tier in config.tiers)) {
    const guess = closest(tier, known);
    return invalid(
      'UnknownTier',
      `label ${keys.backupLabel}="${tier}" is not a configured tier (${known.join(', ')})` +
        (guess ? `; did you mean "${guess}"?` : `; use one of them, or ${keys.exemptLabel}: "true" with a reason`),
    );
  }

  const optIn = keys.namespaceOptInAnnotation;
  if (namespace === undefined) {
    return { kind: 'not-opted-in', tier, message: `namespace ${nsName} is unknown, so it cannot have opted in` };
  }
  if (namespace.metadata.annotations?.[optIn] !== 'true') {
    return {
      kind: 'not-opted-in',
      tier,
      message: `namespace ${nsName} has not opted in: annotate it with ${optIn}: "true"`,
    };
  }
  return { kind: 'protected', tier };
}

function invalid(reason: InvalidReason, message: string): Intent {
  return { kind: 'invalid', reason, message };
}

function toWarning(miss: NearMiss): IntentWarning {
  return { reason: 'NearMissKey', message: describeNearMiss(miss) };
}
