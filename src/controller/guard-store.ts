/**
 * Where the mass-deletion guard's trip is recorded and confirmed: a ConfigMap in lifeboat's namespace. Recording it
 * in the cluster makes a trip survive restarts and leader changes, and gives the operator one object to look at and
 * one command to confirm:
 *
 *   kubectl -n <lifeboat ns> annotate configmap lifeboat-mass-deletion-guard lifeboat.dev/confirm=<trippedAt> --overwrite
 *
 * The confirmation names the trip it answers (its `trippedAt`), so an old annotation cannot release a new trip.
 */
import { LIFEBOAT_PREFIX, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../config/keys.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import type { GuardState } from './guard.ts';

export const GUARD_CONFIGMAP = 'lifeboat-mass-deletion-guard';
export const GUARD_CONFIRM_ANNOTATION = `${LIFEBOAT_PREFIX}confirm`;

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export function confirmCommand(namespace: string, trippedAt: number): string {
  return `kubectl -n ${namespace} annotate configmap ${GUARD_CONFIGMAP} ${GUARD_CONFIRM_ANNOTATION}=${trippedAt} --overwrite`;
}

export class GuardStore {
  readonly kube: KubeClient;
  readonly namespace: string;

  constructor(kube: KubeClient, namespace: string) {
    this.kube = kube;
    this.namespace = namespace;
  }

  async load(): Promise<{ state: GuardState; confirmed: boolean } | undefined> {
    const cm = await this.kube.get<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: GUARD_CONFIGMAP,
      namespace: this.namespace,
    });
    if (!cm?.data?.trippedAt) return undefined;
    const trippedAt = Number(cm.data.trippedAt);
    const held = (cm.data.held ?? '').split('\n').filter(Boolean);
    return {
      state: { trippedAt, held },
      confirmed: cm.metadata.annotations?.[GUARD_CONFIRM_ANNOTATION] === String(trippedAt),
    };
  }

  /** Records the current trip (or its end, with an empty state). */
  async save(state: GuardState): Promise<void> {
    const tripped = state.trippedAt !== undefined;
    await this.kube.apply<ConfigMap>(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: GUARD_CONFIGMAP,
          namespace: this.namespace,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
        },
        data: tripped
          ? {
              trippedAt: String(state.trippedAt),
              trippedAtTime: new Date(state.trippedAt ?? 0).toISOString(),
              held: state.held.join('\n'),
              confirm: confirmCommand(this.namespace, state.trippedAt ?? 0),
            }
          : { state: 'not tripped' },
      },
      { force: true },
    );
  }
}
