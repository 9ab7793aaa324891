/**
 * `lifeboat check <namespace>/<pvc>`: the restore decision for one PVC, read straight from the repository, as one
 * JSON object. Exit status 0 when the answer is authoritative (restore or fresh), 2 when it is unknown, 1 for bad
 * input. Only the repository that holds the PVC is read (restic: that PVC's repository alone).
 */
import type { Command } from 'commander';
import { Catalog } from '../catalog/catalog.ts';
import type { Snapshot } from '../catalog/types.ts';
import { decide } from '../decision/decide.ts';
import type { Io } from './program.ts';
import {
  addRepositoryOptions,
  buildSource,
  type Env,
  exitWith,
  parseDurationFlag,
  parsePvcArgument,
  type RepositoryFlags,
  resolveRepository,
  usage,
} from './repository-options.ts';

interface CheckFlags extends RepositoryFlags {
  timeout: string;
  expectedId?: string;
  firstInstall?: boolean;
}

const REPOSITORY_ID = /^[0-9a-fA-F]{64}$/;

export const EXIT_UNKNOWN = 2;

export function snapshotJson(s: Snapshot): { id: string; time: string; sizeBytes?: number } {
  return { id: s.id, time: s.time, ...(s.sizeBytes !== undefined ? { sizeBytes: s.sizeBytes } : {}) };
}

export async function runCheck(target: string, flags: CheckFlags, io: Io, env: Env): Promise<number> {
  const ref = parsePvcArgument(target);
  const settings = resolveRepository(flags, env);
  const timeoutMs = parseDurationFlag('--timeout', flags.timeout);
  if (flags.expectedId !== undefined && !REPOSITORY_ID.test(flags.expectedId)) {
    throw usage(
      `--expected-id "${flags.expectedId.slice(0, 80)}" is not a repository ID (64 hex digits, as \`lifeboat catalog\` prints it)`,
    );
  }
  if (settings.backend === 'restic' && (flags.expectedId !== undefined || flags.firstInstall)) {
    throw usage(
      '--expected-id and --first-install are for the shared Kopia repository: restic keeps one repository per PVC, and a missing one is "never backed up"',
    );
  }
  const source = buildSource(settings, env, ref);
  const catalog = new Catalog({
    source,
    lookupTimeoutMs: timeoutMs,
    refreshTimeoutMs: timeoutMs,
    identity: {
      ...(flags.expectedId ? { expectedId: flags.expectedId.toLowerCase() } : {}),
      firstInstall: flags.firstInstall === true,
    },
  });
  try {
    // A per-PVC repository is read on demand by the lookup itself; a shared one needs one full read first.
    if (!source.perPvcRepositories) await catalog.refresh();
    const facts = await catalog.lookup(ref);
    const decision = decide({ facts, nowMs: catalog.now(), staleAfterMs: catalog.staleAfterMs });
    const result = {
      namespace: ref.namespace,
      pvc: ref.pvc,
      decision: decision.decision,
      authoritative: decision.authoritative,
      cause: decision.cause,
      ...(decision.authoritative ? {} : { error: decision.message }),
      message: decision.message,
      backend: facts.backend,
      repository: facts.repository,
      ...(facts.view?.repositoryId ? { repositoryId: facts.view.repositoryId } : {}),
      source: facts.source,
      ...(facts.driftedSources ? { driftedSources: facts.driftedSources } : {}),
      snapshots: decision.snapshots.map(snapshotJson),
      ...(decision.newest ? { newest: snapshotJson(decision.newest) } : {}),
      ...(decision.checkpoints.length > 0 ? { checkpoints: decision.checkpoints.map(snapshotJson) } : {}),
    };
    io.out(`${JSON.stringify(result, null, 2)}\n`);
    return decision.authoritative ? 0 : EXIT_UNKNOWN;
  } finally {
    await catalog.stop();
    source.close();
  }
}

export function registerCheckCommand(program: Command, io: Io, env: Env = process.env): void {
  addRepositoryOptions(
    program
      .command('check')
      .argument('<namespace/pvc>', 'the PVC, e.g. karakeep/data-pvc')
      .description(
        'decide restore | fresh | unknown for one PVC from its repository and print it as JSON\n' +
          '(exit status 0: authoritative answer, 2: unknown, 1: bad input)',
      ),
  )
    .option('--timeout <duration>', 'give up reading the repository after this long (unknown: timeout)', '60s')
    .option('--expected-id <id>', 'the ID the (Kopia) repository must have; another one answers repository-changed')
    .option('--first-install', 'a missing Kopia repository is a first installation (fresh), not repository-missing')
    .action(async (target: string, flags: CheckFlags) => {
      const status = await runCheck(target, flags, io, env);
      if (status !== 0) throw exitWith(status);
    });
}
