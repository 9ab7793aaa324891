import { KOPIA_COMPRESSIONS } from './formats.ts';
import { childPath } from './issues.ts';
import type { Reader, Section } from './reader.ts';
import { dnsSubdomain, quantity } from './rules.ts';
import { closest } from './suggest.ts';
import type { MoverConfig } from './types.ts';

/** `mover:`: fields every generated ReplicationSource and ReplicationDestination carries. */
export function readMover(r: Reader, root: Section, d: MoverConfig): MoverConfig {
  const s = r.section(root.values.mover, 'mover', [
    'storageClassName',
    'volumeSnapshotClassName',
    'volumeSnapshotClassByStorageClass',
    'cacheCapacity',
    'moverSecurityContext',
    'kopia',
    'restic',
  ]);
  const storageClassName = r.optionalString(s, 'storageClassName', dnsSubdomain);
  const volumeSnapshotClassName = r.optionalString(s, 'volumeSnapshotClassName', dnsSubdomain);
  const byClass: Record<string, string> = {};
  for (const [storageClass, value, path] of r.entries(s, 'volumeSnapshotClassByStorageClass') ?? []) {
    const snapshotClass = r.text(value, path, dnsSubdomain);
    if (snapshotClass !== undefined) byClass[storageClass] = snapshotClass;
  }

  const sc = r.section(s.values.moverSecurityContext, childPath(s.path, 'moverSecurityContext'), [
    'runAsUser',
    'runAsGroup',
    'fsGroup',
  ]);
  const runAsUser = r.integer(sc, 'runAsUser', d.moverSecurityContext.runAsUser, 0);
  if (runAsUser === 0 && sc.values.runAsUser === 0) {
    r.report(
      childPath(sc.path, 'runAsUser'),
      'is 0 (root); without the privileged-movers annotation a root mover has no capabilities, with it VolSync already runs as root',
      "use the application's uid (the default is 568)",
    );
  }

  const kopia = r.section(s.values.kopia, childPath(s.path, 'kopia'), ['compression', 'parallelism']);
  const compression = r.string(kopia, 'compression', d.kopia.compression, {
    check: (v) => {
      if (KOPIA_COMPRESSIONS.includes(v)) return undefined;
      const guess = closest(v, KOPIA_COMPRESSIONS);
      return `"${v}" is not a kopia compression algorithm${guess ? ` (did you mean ${guess}?)` : ''}`;
    },
    fix: `use one of ${KOPIA_COMPRESSIONS.join(', ')}`,
  });
  const restic = r.section(s.values.restic, childPath(s.path, 'restic'), ['pruneIntervalDays']);

  return {
    ...(storageClassName !== undefined && { storageClassName }),
    ...(volumeSnapshotClassName !== undefined && { volumeSnapshotClassName }),
    volumeSnapshotClassByStorageClass: byClass,
    cacheCapacity: r.string(s, 'cacheCapacity', d.cacheCapacity, quantity),
    moverSecurityContext: {
      runAsUser,
      runAsGroup: r.integer(sc, 'runAsGroup', d.moverSecurityContext.runAsGroup, 0),
      fsGroup: r.integer(sc, 'fsGroup', d.moverSecurityContext.fsGroup, 0),
    },
    kopia: { compression, parallelism: r.integer(kopia, 'parallelism', d.kopia.parallelism, 1, 64) },
    restic: { pruneIntervalDays: r.integer(restic, 'pruneIntervalDays', d.restic.pruneIntervalDays, 1) },
  };
}
