/**
 * The verdict of a restore drill: what the mover restored (the same check a real restore gets,
 * ./restore-verdict.ts) and what the verification Job found on the scratch volume, against what the repository says
 * the snapshot holds. Pure: facts in, verdict out; controller/drill-controller.ts reads the facts.
 *
 * Counting rule, the repositories' own (checked against restic 0.18 and kopia 0.21): regular files, each path once
 * (a hard link counts once per path), their sizes summed; directories, symlinks and special files are not counted.
 */
import type { MoverKind } from './mover-report.ts';
import { type EvidenceRead, type RestorePointStatus, restoreVerdict } from './restore-verdict.ts';

/** What `lifeboat verify-volume` prints (one JSON line) and writes as its termination message. */
export interface VolumeScan {
  /** Regular files found. */
  files: number;
  /** Sum of their sizes. */
  bytes: number;
  /** Entries that could not be read (listed or stat'ed): the counts are then a lower bound. */
  unreadable: number;
  /** The first few unreadable paths with why. */
  errors: string[];
  sentinel?: SentinelCheck;
}

export type SentinelCheck =
  | { path: string; state: 'match'; sha256: string }
  | { path: string; state: 'differs'; expected: string; actual: string }
  | { path: string; state: 'missing' | 'no-checksum' | 'unreadable'; message: string };

export function parseVolumeScan(text: string | undefined): VolumeScan | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text.trim()) as Partial<VolumeScan>;
    if (typeof v.files !== 'number' || typeof v.bytes !== 'number' || typeof v.unreadable !== 'number') {
      return undefined;
    }
    return { ...v, errors: Array.isArray(v.errors) ? v.errors.map(String) : [] } as VolumeScan;
  } catch {
    return undefined;
  }
}

export type DrillOutcome =
  | 'passed'
  | 'mover-failed'
  | 'wrong-snapshot'
  | 'unverified'
  | 'counts-differ'
  | 'sentinel-differs'
  | 'verifier-failed'
  | 'timed-out';

export const DRILL_OUTCOMES: readonly DrillOutcome[] = [
  'passed',
  'mover-failed',
  'wrong-snapshot',
  'unverified',
  'counts-differ',
  'sentinel-differs',
  'verifier-failed',
  'timed-out',
];

/** The verification Job as the controller sees it. */
export type JobState =
  | { state: 'absent' | 'waiting' | 'running' }
  | { state: 'finished'; exitCode?: number; message?: string; reason?: string };

export interface DrillFacts {
  snapshot: { id: string; time: string; fileCount?: number; sizeBytes?: number };
  sentinel?: string;
  mover: MoverKind;
  /** The drill's restore point status (undefined until VolSync reports). */
  restorePoint: RestorePointStatus;
  expectedIdentity?: string;
  moverDoneByMs?: number;
  readAfter?: EvidenceRead;
  job: JobState;
  startedAtMs: number;
  nowMs: number;
  timeoutMs: number;
  /** Where the drill waits, for a timeout's message (e.g. "the scratch PVC is Pending"). */
  waitingFor?: string;
}

export type DrillVerdict =
  | { outcome: 'pending'; message: string }
  | { outcome: DrillOutcome; message: string; remedy?: string; restoredId?: string };

const MOVER_REMEDY =
  'kubectl describe replicationdestination of the drill (it is deleted at the end; the Event on the PVC keeps the ' +
  'message) and the repository: the backups of this PVC may not restore. Run lifeboat verify again after fixing it.';
const DATA_REMEDY =
  'The backup does not hold what the repository says it does: check the repository (kopia snapshot verify, restic ' +
  'check --read-data) and take a new backup (lifeboat status shows when the next one runs).';

function formatCounts(files: number | undefined, bytes: number | undefined): string {
  return `${files ?? '?'} files, ${bytes ?? '?'} bytes`;
}

export function drillVerdict(f: DrillFacts): DrillVerdict {
  const expected = `snapshot ${f.snapshot.id} (${f.snapshot.time})`;
  const restore = restoreVerdict({
    pinned: { snapshotId: f.snapshot.id, snapshotTime: f.snapshot.time },
    mover: f.mover,
    status: f.restorePoint,
    ...(f.expectedIdentity ? { expectedIdentity: f.expectedIdentity } : {}),
    ...(f.moverDoneByMs !== undefined ? { moverDoneByMs: f.moverDoneByMs } : {}),
    ...(f.readAfter ? { readAfter: f.readAfter } : {}),
  });
  if (restore.outcome === 'failed') {
    return { outcome: 'mover-failed', message: restore.message, remedy: MOVER_REMEDY };
  }
  if (restore.outcome === 'mismatch' || restore.outcome === 'empty') {
    return {
      outcome: 'wrong-snapshot',
      message: restore.message,
      remedy:
        'The snapshot the drill pinned disappeared while it ran (retention, maintenance); the next drill pins the newest one.',
      ...(restore.restored ? { restoredId: restore.restored.id } : {}),
    };
  }
  if (restore.outcome === 'unverified') {
    return { outcome: 'unverified', message: restore.message, remedy: 'Run lifeboat verify again.' };
  }

  const overdue = f.nowMs - f.startedAtMs > f.timeoutMs;
  if (f.job.state !== 'finished') {
    if (!overdue) return { outcome: 'pending', message: restore.outcome === 'pending' ? restore.message : 'verifying' };
    const where =
      f.waitingFor ?? (restore.outcome === 'pending' ? restore.message : `the verification Job is ${f.job.state}`);
    return {
      outcome: 'timed-out',
      message: `the drill of ${expected} did not finish within ${Math.round(f.timeoutMs / 60_000)} min: ${where}`,
      remedy:
        'Check that VolSync, the volume populator and the StorageClass can provision and populate a volume (kubectl ' +
        'get pvc,replicationdestination -l lifeboat.dev/drill), or raise verify.timeout for large volumes.',
    };
  }

  const scan = parseVolumeScan(f.job.message);
  if (!scan) {
    return {
      outcome: 'verifier-failed',
      message:
        `the verification Job ended (exit ${f.job.exitCode ?? '?'}${f.job.reason ? `, ${f.job.reason}` : ''}) ` +
        `without a result: ${(f.job.message ?? '').slice(0, 300) || 'no message'}`,
      remedy: 'kubectl logs of the Job before it is deleted; the scratch volume could not be scanned.',
    };
  }
  if (restore.outcome === 'pending') {
    // The scan ended before the mover's report could be confirmed: wait for the read (or the timeout).
    return overdue
      ? { outcome: 'unverified', message: restore.message, remedy: 'Run lifeboat verify again.' }
      : { outcome: 'pending', message: restore.message };
  }
  const found = formatCounts(scan.files, scan.bytes);
  const want = formatCounts(f.snapshot.fileCount, f.snapshot.sizeBytes);
  const unreadable =
    scan.unreadable > 0 ? `; ${scan.unreadable} entries could not be read (${scan.errors.slice(0, 3).join('; ')})` : '';
  const filesDiffer = f.snapshot.fileCount !== undefined && f.snapshot.fileCount !== scan.files;
  const bytesDiffer = f.snapshot.sizeBytes !== undefined && f.snapshot.sizeBytes !== scan.bytes;
  if (filesDiffer || bytesDiffer || scan.unreadable > 0) {
    return {
      outcome: 'counts-differ',
      message: `restored ${expected} holds ${found}; the repository says it holds ${want}${unreadable}`,
      remedy: scan.unreadable > 0 && !filesDiffer && !bytesDiffer ? readRemedy() : DATA_REMEDY,
    };
  }
  if (f.sentinel) {
    const s = scan.sentinel;
    if (s?.state !== 'match') {
      const why = !s
        ? 'the verifier did not check it'
        : s.state === 'differs'
          ? `its sha256 is ${s.actual}, ${s.path}.sha256 says ${s.expected}`
          : s.message;
      return {
        outcome: 'sentinel-differs',
        message: `restored ${expected} (${found}), but the sentinel ${f.sentinel} does not check out: ${why}`,
        remedy:
          'The application writes the sentinel and <sentinel>.sha256 together; if it does, the backup caught them ' +
          'mid-write or the data is damaged: check the repository and take a new backup.',
      };
    }
  }
  const counts =
    f.snapshot.fileCount === undefined && f.snapshot.sizeBytes === undefined
      ? `${found} (the repository records no counts for this snapshot to compare)`
      : `${found}, as the repository says`;
  return {
    outcome: 'passed',
    message: `restored ${expected}: ${counts}${f.sentinel ? `, sentinel ${f.sentinel} intact` : ''}`,
  };
}

function readRemedy(): string {
  return (
    'The verifier could not read every file: it runs as the movers’ uid/gid (mover.moverSecurityContext); files ' +
    'the application made unreadable to it cannot be checked.'
  );
}

/** Outcomes that leave the PVC without a fresh proof and alert. */
export function isFailedDrill(outcome: string): boolean {
  return outcome !== 'passed';
}
