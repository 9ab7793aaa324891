/**
 * The few fields of Kubernetes objects lifeboat reads, shaped like the API's JSON. Kept local and minimal so the
 * pure modules need no Kubernetes client: the controller passes what it got from the API server, `render` passes
 * parsed manifests.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  /** RFC 3339, set by the API server. */
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** Who made an object: read to recognise claims a database operator made (intent/database.ts). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface TypedObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface PersistentVolumeClaim {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    accessModes?: string[];
    storageClassName?: string | null;
    resources?: { requests?: Record<string, string> };
    dataSourceRef?: TypedObjectReference | null;
  };
  status?: { phase?: string };
}

export interface Namespace {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}
