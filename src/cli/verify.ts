/**
 * `lifeboat verify <namespace>/<pvc> | --all [-n <namespace>]`: a restore drill now. Like `lifeboat restore`'s request,
 * it asks the running operator rather than doing the work itself: it writes `lifeboat.dev/verify-requested: <now>` on
 * the PVC's persistent ReplicationDestination, the leader's drill controller picks it up (within seconds; the caps
 * still apply) and records the outcome there (`lifeboat.dev/restore-drill`, and `restore-proven` when it passed).
 * With --wait (the default) it prints the drill's progress until every requested drill has a result.
 *
 * Exit status 0: every drill passed (or, with --no-wait, every request was written); 5: a drill failed, a request
 * could not be written, or --wait-timeout passed; 1: bad input.
 */
import type { Command } from 'commander';
import { DRILL_OF_ANNOTATION, RESTORE_DRILL_ANNOTATION, VERIFY_REQUESTED_ANNOTATION } from '../config/keys.ts';
import { PERSISTENT_RD_SELECTOR, persistentDestinationKey } from '../controller/restore-point-sync.ts';
import { sleep } from '../kube/backoff.ts';
import { KubeClient, type KubeObject } from '../kube/client.ts';
import { formatKubeError } from '../kube/errors.ts';
import { DRILL_SELECTOR, parseDrillRecord } from '../plan/drill.ts';
import { VOLSYNC_API_VERSION } from '../plan/objects.ts';
import { addKubeOptions, type KubeFlags, kubeConnection } from './cluster-context.ts';
import { readConfigFile } from './config-file.ts';
import { EXIT, exitWith, usage } from './exit-codes.ts';
import type { Io } from './io.ts';
import { formatData, outputOption } from './output.ts';
import { type Env, parseDurationFlag, parsePvcArgument } from './repository-options.ts';

interface VerifyFlags extends KubeFlags {
  config?: string;
  all?: boolean;
  namespace?: string;
  wait: boolean;
  waitTimeout: string;
  poll: string;
  output: string;
}

/** The field manager of the request: only this annotation is the CLI's. */
const REQUEST_FIELD_MANAGER = 'lifeboat-verify';

interface Result {
  key: string;
  outcome: string;
  snapshotId?: string;
  message: string;
}

/** What a drill in flight for `key` is doing, from its objects (restore point, scratch PVC, Job's Pod). */
async function progressOf(kube: KubeClient, namespace: string, key: string): Promise<string> {
  const selector = { namespace, labelSelector: DRILL_SELECTOR };
  const mine = (o: KubeObject) => o.metadata.annotations?.[DRILL_OF_ANNOTATION] === key;
  const [rds, claims, pods] = await Promise.all([
    kube.list(VOLSYNC_API_VERSION, 'ReplicationDestination', selector),
    kube.list('v1', 'PersistentVolumeClaim', selector),
    kube.list('v1', 'Pod', selector),
  ]);
  const rd = rds.find(mine) as (KubeObject & { status?: { latestMoverStatus?: { result?: string } } }) | undefined;
  if (!rd) return 'waiting for the operator to start the drill (caps, or its next pass)';
  const claim = claims.find(mine) as (KubeObject & { status?: { phase?: string } }) | undefined;
  const pod = pods.find(
    (p) => p.metadata.labels?.['lifeboat.dev/drill'] === rd.metadata.labels?.['lifeboat.dev/drill'],
  ) as (KubeObject & { status?: { phase?: string } }) | undefined;
  const mover = rd.status?.latestMoverStatus?.result;
  if (!mover) return `restoring into ${claim?.metadata.name ?? 'the scratch PVC'} (mover running)`;
  if (claim?.status?.phase !== 'Bound') return `mover ${mover}; populating the scratch PVC`;
  return `mover ${mover}; scratch PVC Bound; verification ${pod?.status?.phase ?? 'starting'}`;
}

export async function runVerify(target: string | undefined, flags: VerifyFlags, io: Io, env: Env): Promise<number> {
  if ((target === undefined) === !flags.all) throw usage('name one PVC as <namespace>/<pvc>, or pass --all');
  if (flags.namespace !== undefined && !flags.all) {
    throw usage('-n/--namespace narrows --all: name the PVC as <namespace>/<pvc> instead');
  }
  const ref = target === undefined ? undefined : parsePvcArgument(target);
  const waitTimeoutMs = parseDurationFlag('--wait-timeout', flags.waitTimeout);
  const pollMs = parseDurationFlag('--poll', flags.poll);
  const config = readConfigFile(flags.config);
  const kube = new KubeClient(kubeConnection(flags, env), REQUEST_FIELD_MANAGER);
  try {
    const namespace = ref?.namespace ?? flags.namespace;
    const rds = (
      await kube.list(VOLSYNC_API_VERSION, 'ReplicationDestination', {
        ...(namespace ? { namespace } : {}),
        labelSelector: PERSISTENT_RD_SELECTOR,
      })
    ).filter((rd) => {
      const key = persistentDestinationKey(rd, config.naming);
      return key !== undefined && (!ref || key === `${ref.namespace}/${ref.pvc}`);
    });
    if (rds.length === 0) {
      io.err(
        `no persistent ReplicationDestination found for ${target ?? (namespace ? `namespace ${namespace}` : 'the cluster')}: ` +
          'is the PVC protected (labelled) and reconciled by lifeboat?\n',
      );
      return EXIT.failed;
    }
    // Whole seconds: the annotation is RFC 3339 like every time lifeboat writes, and the drill's end is compared with it.
    const requestedAt = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const requestedMs = Date.parse(requestedAt);
    const pending = new Map<string, KubeObject>();
    const results: Result[] = [];
    for (const rd of rds) {
      const key = persistentDestinationKey(rd, config.naming) as string;
      try {
        await kube.apply(
          {
            apiVersion: VOLSYNC_API_VERSION,
            kind: 'ReplicationDestination',
            metadata: {
              name: rd.metadata.name,
              namespace: rd.metadata.namespace,
              uid: rd.metadata.uid,
              annotations: { [VERIFY_REQUESTED_ANNOTATION]: requestedAt },
            },
          },
          { force: true },
        );
        pending.set(key, rd);
        if (flags.output === 'table') io.out(`${key}  requested  a restore drill (${requestedAt})\n`);
      } catch (error) {
        results.push({ key, outcome: 'not-requested', message: formatKubeError(error) });
        if (flags.output === 'table') io.out(`${key}  not-requested  ${formatKubeError(error)}\n`);
      }
    }
    const deadline = Date.now() + waitTimeoutMs;
    const said = new Map<string, string>();
    while (flags.wait && pending.size > 0 && Date.now() < deadline) {
      await sleep(pollMs);
      for (const [key, rd] of pending) {
        const live = await kube.get({
          apiVersion: VOLSYNC_API_VERSION,
          kind: 'ReplicationDestination',
          name: rd.metadata.name,
          namespace: rd.metadata.namespace ?? '',
        });
        const record = parseDrillRecord(live?.metadata.annotations?.[RESTORE_DRILL_ANNOTATION]);
        if (record && Date.parse(record.at) >= requestedMs) {
          pending.delete(key);
          results.push({ key, outcome: record.outcome, snapshotId: record.snapshotId, message: record.message });
          if (flags.output === 'table') io.out(`${key}  ${record.outcome}  ${record.message}\n`);
          continue;
        }
        const progress = await progressOf(kube, rd.metadata.namespace ?? '', key);
        if (said.get(key) !== progress && flags.output === 'table') io.out(`${key}  running  ${progress}\n`);
        said.set(key, progress);
      }
    }
    for (const key of pending.keys()) {
      results.push({
        key,
        outcome: flags.wait ? 'timed-out' : 'requested',
        message: flags.wait ? `no result within ${flags.waitTimeout}` : 'requested',
      });
    }
    if (flags.output === 'json' || flags.output === 'yaml') io.out(formatData(flags.output, { results }));
    if (flags.wait && pending.size > 0) io.err(`still running after ${flags.waitTimeout}\n`);
    const ok = results.every((r) => r.outcome === 'passed' || (!flags.wait && r.outcome === 'requested'));
    return ok ? EXIT.ok : EXIT.failed;
  } finally {
    kube.close();
  }
}

export function registerVerifyCommand(program: Command, io: Io, env: Env = process.env): void {
  addKubeOptions(
    program
      .command('verify')
      .argument('[namespace/pvc]', 'the PVC whose newest backup to restore and check, e.g. karakeep/data-pvc')
      .description(
        'run a restore drill now: the running operator restores the newest backup into a scratch volume, checks it ' +
          'and records the proof (exit status 0: passed, 5: failed or timed out)',
      ),
  )
    .option('--config <file>', 'lifeboat config file (default: the built-in defaults)')
    .option('--all', 'every protected PVC in the cluster')
    .option('-n, --namespace <namespace>', 'with --all: only the PVCs of this namespace')
    .option('--no-wait', 'write the request and return')
    .option('--wait-timeout <duration>', 'give up waiting after this long', '1h')
    .option('--poll <duration>', 'between looks at the drill', '5s')
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (target: string | undefined, flags: VerifyFlags) => {
      const status = await runVerify(target, flags, io, env);
      if (status !== 0) throw exitWith(status);
    });
}
