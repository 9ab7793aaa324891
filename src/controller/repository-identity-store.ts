/**
 * Where the repository identities lifeboat reads are recorded (see src/catalog/pins.ts): a ConfigMap in lifeboat's
 * namespace, written by the leader with server-side apply. Recording them in the cluster makes the pins survive
 * restarts and leader changes, and gives the operator one object to look at and one command to confirm a change:
 *
 *   kubectl -n <lifeboat ns> annotate configmap lifeboat-repository-identity lifeboat.dev/confirm-repository=<ID> --overwrite
 *
 * The confirmation names the new repository ID it accepts, so an old annotation cannot accept a later change.
 */
import {
  CONFIRM_REPOSITORY_ANNOTATION,
  confirmRepositoryCommand,
  IDENTITY_CONFIGMAP,
  type PinStore,
  type RecordedPins,
} from '../catalog/pins.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../config/keys.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** The pins in the ConfigMap's `pins` key (JSON `{location: id}`); anything else there is a broken record. */
export function parsePins(cm: ConfigMap | undefined): RecordedPins {
  const confirmed = cm?.metadata.annotations?.[CONFIRM_REPOSITORY_ANNOTATION]?.trim().toLowerCase();
  const raw = cm?.data?.pins;
  const pins: Record<string, string> = {};
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new Error(
        `ConfigMap ${IDENTITY_CONFIGMAP}: "pins" is not JSON; restore it or delete the key to record anew`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`ConfigMap ${IDENTITY_CONFIGMAP}: "pins" is not a JSON object of location → repository ID`);
    }
    for (const [key, id] of Object.entries(parsed)) if (typeof id === 'string') pins[key] = id;
  }
  return { pins, ...(confirmed ? { confirmed } : {}) };
}

export interface RepositoryIdentityStoreOptions {
  kube: KubeClient;
  namespace: string;
  /** Only the leader writes; other replicas (and CLI commands) only read. */
  canWrite: () => boolean;
}

export function repositoryIdentityStore(opts: RepositoryIdentityStoreOptions): PinStore {
  const { kube, namespace } = opts;
  return {
    async load() {
      const cm = await kube.get<ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: IDENTITY_CONFIGMAP,
        namespace,
      });
      return parsePins(cm);
    },
    async save(pins) {
      if (!opts.canWrite()) return false;
      const lines = Object.entries(pins).map(([location, id]) => `${location} ${id}`);
      await kube.apply<ConfigMap>(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: IDENTITY_CONFIGMAP,
            namespace,
            labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
          },
          data: {
            pins: JSON.stringify(pins),
            readable: lines.join('\n'),
            confirm: confirmRepositoryCommand(namespace, '<new repository ID>'),
          },
        },
        { force: true },
      );
      return true;
    },
  };
}
