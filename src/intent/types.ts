/**
 * What a user asked for, read from one PVC and its Namespace. Intent never guesses: anything ambiguous or malformed
 * is `invalid` with an Event reason and a message that says how to fix it, and an invalid intent never causes
 * existing backup objects to be deleted.
 */

export type Intent =
  | ProtectedIntent
  | ExemptIntent
  | NotOptedInIntent
  | ExcludedIntent
  | UnlabelledIntent
  | DatabaseIntent
  | InvalidIntent;

/** Labelled with a known tier in an opted-in namespace. */
export interface ProtectedIntent {
  kind: 'protected';
  tier: string;
}

/** Deliberately unprotected: `backup-exempt: "true"` with a non-empty reason annotation. */
export interface ExemptIntent {
  kind: 'exempt';
  reason: string;
}

/** Labelled with a known tier, but the namespace lacks the opt-in annotation (or is not known). */
export interface NotOptedInIntent {
  kind: 'not-opted-in';
  tier: string;
  message: string;
}

/** In a system namespace: lifeboat never touches it, whatever its labels say. */
export interface ExcludedIntent {
  kind: 'excluded';
  message: string;
}

/** No backup label: not protected (and generated objects, if any, are to be removed). */
export interface UnlabelledIntent {
  kind: 'unlabelled';
}

/**
 * No backup label, and a database operator made the claim (config `databases`): the operator's own backup is
 * expected, so it is not reported as unprotected. Like `unlabelled`, generated objects, if any, are to be removed.
 */
export interface DatabaseIntent {
  kind: 'database';
  database: DatabaseMatch;
}

/** A claim recognised as a database operator's, and how. */
export interface DatabaseMatch {
  /** The operator's name in the config (`databases.<name>`). */
  operator: string;
  /** What gave it away: `ownerReference postgresql.cnpg.io/v1 Cluster pg-main`, `label cnpg.io/cluster=pg-main`. */
  evidence: string;
}

export interface InvalidIntent {
  kind: 'invalid';
  /** The Event reason the controller emits, CamelCase as Kubernetes reasons are. */
  reason: InvalidReason;
  /** What is wrong and how to fix it, for the Event message and the CLI. */
  message: string;
}

export type InvalidReason =
  /** The backup label names no configured tier. */
  | 'UnknownTier'
  /** The backup label is empty. */
  | 'MalformedBackupLabel'
  /** The exempt label has a value other than "true" or "false". */
  | 'MalformedExemptLabel'
  /** Exempt without a non-empty reason annotation. */
  | 'ExemptWithoutReason'
  /** Both the backup label and the exempt label. */
  | 'ConflictingIntent';

/** Something worth telling the user that does not change the intent, such as a near-miss key. */
export interface IntentWarning {
  /** `DatabaseFileCopy`: a database operator's claim is labelled for a file-level backup. */
  reason: 'NearMissKey' | 'DatabaseFileCopy';
  message: string;
}

export interface IntentResult {
  intent: Intent;
  warnings: IntentWarning[];
  /** Set when a database operator made the claim (outside excluded namespaces), whatever the intent. */
  database?: DatabaseMatch;
}
