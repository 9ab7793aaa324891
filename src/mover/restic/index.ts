/** restic: one repository per PVC at a location from the `repository.url` template; no identity inside it. */
import { type Mover, MoverUsageError } from '../mover.ts';
import { type Retention, retentionCounts } from '../retention.ts';
import { ResticSourceError, resticSource } from './catalog-source.ts';
import { LocationError } from './reader/location.ts';

/** `mover.restic:` */
export interface ResticOptions {
  /** Run `restic prune` every N days. Default 7. */
  pruneIntervalDays: number;
}

export interface ResticSourceFields {
  retain: { hourly?: number; daily?: number; weekly?: number; monthly?: number; yearly?: number; last?: string };
  pruneIntervalDays: number;
}

// restic ≥ 0.17 prints `restoring snapshot 1a2b3c4d of [/data] at 2026-01-02 03:04:05.123456789 +0000 UTC by
// root@host to .`; older versions wrapped the same text in `<Snapshot … >`. It passes VolSync's log filter (it starts
// with "restoring"), so the selection is in the status after every restore.
const RESTIC_RESTORING =
  /^\s*restoring <?[Ss]napshot ([0-9a-f]{8,64}) of \[[^\]]*\] at (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-]\d{2})(\d{2})/m;
// The script's own line (mover-restic/entry.sh).
const RESTIC_SELECTED = /^\s*Selected restic snapshot with id: ([0-9a-f]{8,64})\s*$/m;

export const resticMover: Mover<ResticOptions, ResticSourceFields, object> = {
  variables: { password: 'RESTIC_PASSWORD', repository: 'RESTIC_REPOSITORY', settings: [] },
  // A per-PVC repository needs a template: the config loader requires `repository.url` for restic.
  defaultLocation: () => undefined,
  repository: {
    urlProblem: () => undefined,
    urlPlaceholders: ['namespace', 'pvc'],
    urlFix: 'give every PVC its own restic repository, e.g. s3:http://minio:9000/volsync/{namespace}/{pvc}',
    urlRequired: {
      problem: 'is required for restic (restic keeps one repository per PVC)',
      fix: 'add url: s3:http://minio:9000/volsync/{namespace}/{pvc} (or another restic location with both placeholders)',
    },
    sharedRepository: false,
    perPvcRepositories: {
      why: 'restic keeps one repository per PVC: a missing one is "never backed up", and lifeboat records the IDs it reads in the cluster',
      maintenance:
        'applies only to backend kopia (restic prunes each PVC repository itself, see mover.restic.pruneIntervalDays)',
    },
  },
  maintenance: {
    off: 'repository.backend is restic: each PVC repository is pruned by its mover (mover.restic.pruneIntervalDays)',
  },
  options: {
    defaults: { pruneIntervalDays: 7 },
    fields: { pruneIntervalDays: { type: 'integer', min: 1 } },
  },
  reportNamesSnapshot: true,
  identityAnnotations: () => ({}),
  source: (common, retain, { options }) => ({
    ...common,
    retain: resticRetain(retain),
    pruneIntervalDays: options.pruneIntervalDays,
  }),
  destination: (common) => common,
  reportedSelection: (logs) => {
    const restoring = RESTIC_RESTORING.exec(logs);
    if (restoring) {
      const [, id = '', date, clock, fraction = '', offsetHours, offsetMinutes] = restoring;
      const ms = Date.parse(`${date}T${clock}${fraction.slice(0, 4)}${offsetHours}:${offsetMinutes}`);
      const time = Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
      return { id, ...(time ? { time } : {}) };
    }
    const id = RESTIC_SELECTED.exec(logs)?.[1];
    return id ? { id } : undefined;
  },
  reader: {
    settings: () => ({}),
    source: (location, _data, _identity, credentials) => resticSource({ repository: location, credentials }),
    waitingLabel: (fixed) => ((fixed ?? '').startsWith('s3:') ? 's3' : 'restic-fs'),
    cliSource: (repository, _env, _identity, credentials, pvc) =>
      resticSource({ repository, credentials, ...(pvc ? { pvc } : {}) }),
    isUsageError: (error) =>
      error instanceof LocationError || error instanceof ResticSourceError || error instanceof MoverUsageError,
  },
  cli: {
    repositoryHelp:
      'restic: a template with {namespace} and {pvc}, e.g. /mnt/backups/{namespace}-{pvc} or ' +
      's3:http://minio:9000/volsync/{namespace}/{pvc}',
    identity: { refused: '--identity applies to Kopia only: a restic PVC is identified by its repository location' },
  },
};

/** restic's `retain.last` is a string in the CRD (docs/design.md#movers-and-secrets). */
function resticRetain(retain: Retention): ResticSourceFields['retain'] {
  return { ...retentionCounts(retain), ...(retain.last !== undefined && { last: String(retain.last) }) };
}
