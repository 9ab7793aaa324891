/**
 * `lifeboat check <namespace>/<pvc>`: the restore decision for one PVC, read straight from the repository. JSON by
 * default (scripts parse it), `-o yaml`, or `-o table` for the snapshots at a glance. Exit status 0 when the answer
 * is authoritative (restore or fresh), 2 when it is unknown, 1 for bad input. Only the repository that holds the PVC
 * is read (restic: that PVC's repository alone).
 *
 * The repository comes from the flags, the environment, or `--config` (the file `lifeboat run` uses: backend,
 * location, identity, and the credentials Secret, read through the kubeconfig when one is available).
 */

import type { Command } from 'commander';
import { Catalog } from '../catalog/catalog.ts';
import { REPOSITORY_ID } from '../config/load-repository.ts';
import { type Decision, decide } from '../decision/decide.ts';
import { MOVERS } from '../mover/index.ts';
import type { Snapshot } from '../repository/types.ts';
import {
  addKubeOptions,
  configuredIdentity,
  type KubeFlags,
  optionalCluster,
  repositoryAccess,
} from './cluster-context.ts';
import { EXIT, exitWith, usage } from './exit-codes.ts';
import type { Io } from './io.ts';
import { formatTable, outputOption, printData } from './output.ts';
import {
  addRepositoryOptions,
  buildSource,
  type Env,
  parseDurationFlag,
  parsePvcArgument,
  passwordRemedies,
  type RepositoryFlags,
} from './repository-options.ts';

interface CheckFlags extends RepositoryFlags, KubeFlags {
  timeout: string;
  expectedId?: string;
  firstInstall?: boolean;
  config?: string;
  output: string;
}

export function snapshotJson(s: Snapshot): { id: string; time: string; sizeBytes?: number } {
  return { id: s.id, time: s.time, ...(s.sizeBytes !== undefined ? { sizeBytes: s.sizeBytes } : {}) };
}

function checkTable(decision: Decision, result: { namespace: string; pvc: string; message: string }): string {
  const snapshots = [
    ['SNAPSHOT', 'TIME', 'SIZE'],
    ...decision.snapshots.map((s) => [s.id, s.time, s.sizeBytes === undefined ? '-' : String(s.sizeBytes)]),
  ];
  const head = `${result.namespace}/${result.pvc}: ${decision.decision}${decision.authoritative ? '' : ' (not authoritative)'}\n${result.message}\n`;
  return decision.snapshots.length > 0 ? `${head}\n${formatTable(snapshots)}\n` : head;
}

export async function runCheck(target: string, flags: CheckFlags, io: Io, env: Env): Promise<number> {
  const ref = parsePvcArgument(target);
  const timeoutMs = parseDurationFlag('--timeout', flags.timeout);
  if (flags.expectedId !== undefined && !REPOSITORY_ID.test(flags.expectedId)) {
    throw usage(
      `--expected-id "${flags.expectedId.slice(0, 80)}" is not a repository ID (64 hex digits, as \`lifeboat catalog\` prints it)`,
    );
  }
  const cluster = optionalCluster(flags, env, io);
  let catalog: Catalog | undefined;
  try {
    const access = await repositoryAccess(flags, env, io, cluster);
    if (
      MOVERS[access.settings.backend].repository.perPvcRepositories &&
      (flags.expectedId !== undefined || flags.firstInstall)
    ) {
      throw usage(
        '--expected-id and --first-install are for the shared Kopia repository: restic keeps one repository per PVC, and a missing one is "never backed up"',
      );
    }
    const source = buildSource(access.settings, access.env, ref);
    catalog = new Catalog({
      source,
      lookupTimeoutMs: timeoutMs,
      refreshTimeoutMs: timeoutMs,
      identity: configuredIdentity(cluster?.config.repository, {
        ...(flags.expectedId !== undefined && { expectedId: flags.expectedId }),
        ...(flags.firstInstall !== undefined && { firstInstall: flags.firstInstall }),
      }),
    });
    // A per-PVC repository is read on demand by the lookup itself; a shared one needs one full read first.
    if (!source.perPvcRepositories) await catalog.refresh();
    const facts = await catalog.lookup(ref);
    const decision = decide({
      facts,
      nowMs: catalog.now(),
      staleAfterMs: catalog.staleAfterMs,
      remedies: passwordRemedies(access.settings),
    });
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
    printData(io, flags.output, result, () => checkTable(decision, result));
    return decision.authoritative ? EXIT.ok : EXIT.unknown;
  } finally {
    await catalog?.stop();
    catalog?.source.close();
    cluster?.kube?.close();
  }
}

export function registerCheckCommand(program: Command, io: Io, env: Env = process.env): void {
  addRepositoryOptions(
    addKubeOptions(
      program
        .command('check')
        .argument('<namespace/pvc>', 'the PVC, e.g. karakeep/data-pvc')
        .description(
          'decide restore | fresh | unknown for one PVC from its repository (exit status 0: authoritative answer, ' +
            '2: unknown, 1: bad input)',
        )
        .option(
          '--config <file>',
          'lifeboat config file (as `lifeboat run` uses it): repository backend, location, identity and credentials Secret',
        ),
    ),
  )
    .addOption(outputOption(['json', 'yaml', 'table'], 'json'))
    .option('--timeout <duration>', 'give up reading the repository after this long (unknown: timeout)', '60s')
    .option('--expected-id <id>', 'the ID the (Kopia) repository must have; another one answers repository-changed')
    .option('--first-install', 'a missing Kopia repository is a first installation (fresh), not repository-missing')
    .action(async (target: string, flags: CheckFlags) => {
      const status = await runCheck(target, flags, io, env);
      if (status !== 0) throw exitWith(status);
    });
}
