/**
 * A CatalogSource whose repositories answer from a script, for unit tests of the catalog and its HTTP API: it
 * stages what real storage cannot on demand (reads that hang and ignore cancellation, failures mid-refresh,
 * overlapping reads). The real readers are exercised in test/integration/catalog.test.ts.
 */
import type { CatalogSource, PvcRef, RepositoryRead, RepositoryRef } from '../../src/repository/source.ts';
import type { Snapshot } from '../../src/repository/types.ts';

/** What one repository answers on its next reads: data, an error, or a read that never ends. */
export type Script =
  | {
      pvcs: Record<string, Snapshot[]>;
      exists?: boolean;
      unmatched?: string[];
      /** Unmatched sources with their snapshots (identity drift). */
      unmatchedSnapshots?: Record<string, Snapshot[]>;
      /** The repository's ID (Kopia unique ID / restic config id). */
      id?: string;
    }
  | Error
  | 'hang';

/** Answers from `scripts` per repository key (kopia-like: one repository `/repo`; restic-like: one per PVC). */
export class ScriptedSource implements CatalogSource {
  readonly kind: 'kopia' | 'restic';
  readonly backend;
  readonly description = 'scripted';
  readonly perPvcRepositories: boolean;
  scripts = new Map<string, Script>();
  discoverScript: string[] | Error | 'hang' = [];
  discoverCalls = 0;
  reads: string[] = [];
  active = 0;
  maxActive = 0;
  /** Reads started while this is set wait for it before answering. */
  gate: Promise<void> | undefined;

  constructor(kind: 'kopia' | 'restic') {
    this.kind = kind;
    this.backend = kind === 'kopia' ? ('kopia-fs' as const) : ('restic-fs' as const);
    this.perPvcRepositories = kind === 'restic';
  }

  locate(ref: PvcRef): { repository: RepositoryRef; source: string } {
    if (this.kind === 'kopia')
      return { repository: { key: '/repo' }, source: `${ref.pvc}-backup@${ref.namespace}:/data` };
    const key = `/backups/${ref.namespace}/${ref.pvc}`;
    return { repository: { key, pvc: ref }, source: key };
  }

  async discover(): Promise<RepositoryRef[]> {
    this.discoverCalls++;
    const script = this.discoverScript;
    if (script === 'hang') return await new Promise<never>(() => {});
    if (script instanceof Error) throw script;
    if (this.kind === 'kopia') return [{ key: '/repo' }];
    return script.map((key) => {
      const [, , namespace = '', pvc = ''] = key.split('/');
      return { key, pvc: { namespace, pvc } };
    });
  }

  async read(ref: RepositoryRef, signal: AbortSignal): Promise<RepositoryRead> {
    this.reads.push(ref.key);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      // The answer is fixed when the read starts, like a real listing taken at that moment.
      const script = this.scripts.get(ref.key) ?? { pvcs: {}, exists: false };
      await this.gate;
      if (script === 'hang') {
        // Ignores the signal on purpose, like a blocked NFS call: the catalog must stop waiting by itself.
        await new Promise(() => {});
      }
      if (script instanceof Error) throw script;
      signal.throwIfAborted();
      const s = script as Exclude<Script, Error | 'hang'>;
      const pvcs = new Map(Object.entries(s.pvcs));
      let count = 0;
      for (const list of pvcs.values()) count += list.length;
      const unmatchedSnapshots = new Map(Object.entries(s.unmatchedSnapshots ?? {}));
      for (const list of unmatchedSnapshots.values()) count += list.length;
      return {
        exists: s.exists ?? true,
        pvcs,
        snapshotCount: count,
        unmatchedSources: [...(s.unmatched ?? []), ...unmatchedSnapshots.keys()],
        unmatchedSnapshots,
        ...(s.id ? { repositoryId: s.id } : {}),
      };
    } finally {
      this.active--;
    }
  }

  close(): void {}
}
