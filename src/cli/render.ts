/**
 * `lifeboat render`: what lifeboat would generate for a set of manifests, offline. The same intent and planner the
 * controller runs, fed with facts that come from the manifests and stated assumptions instead of a cluster.
 */
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import type { LifeboatConfig } from '../config/types.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import { capabilityProblems, type VolSyncFlavour } from '../plan/capability.ts';
import type { SourceSecretFact } from '../plan/credentials.ts';
import { planPvc } from '../plan/plan.ts';
import { readConfigFile } from './config-file.ts';
import { EXIT, exitWith, usageError } from './exit-codes.ts';
import { wrapHelp } from './output.ts';
import type { Io } from './program.ts';
import { InputError, type Manifests, parseManifests, readSources } from './render-input.ts';
import { formatObjects, formatVerdicts, type RenderedPvc } from './render-output.ts';

const FLAVOURS: readonly VolSyncFlavour[] = ['kopia-fork', 'upstream'];

const HELP = [
  '',
  'Input:',
  '  Namespace and PersistentVolumeClaim manifests, as multi-document YAML (e.g. `kustomize build` output) or `kubectl get -o yaml` Lists. Other kinds are ignored. Directories are read recursively for *.yaml and *.yml; "-" reads stdin. No cluster is contacted.',
  '',
  'Assumptions:',
  '  - A PVC is Bound and older than minPvcAge unless its manifest says otherwise (status.phase, metadata.creationTimestamp). With --as-new every PVC counts as created just now, so its backup source waits for minPvcAge and only the Secret and the restore point are printed.',
  '  - A PVC whose Namespace is not in the input has not opted in.',
  '  - Copy-mode credentials: if the input holds the source Secret (credentials.secretRef of the config), its keys are copied. Otherwise the Secret carries only the keys lifeboat renders itself (the repository location, if any) and the annotation lifeboat.dev/credentials-from naming the source; no placeholder values are invented.',
  '  - PVC uids are dropped, so rendered sources carry no owner reference to one particular PVC.',
  '',
  'Output:',
  '  stdout: every object lifeboat would apply, as multi-document YAML (-o json: one v1 List), ordered by namespace and PVC, then Secret/ExternalSecret, ReplicationDestination, ReplicationSource. stderr: one verdict per PVC.',
  '',
  'Exit status:',
  '  0  rendered (invalid PVCs are reported in the verdict table; add --strict to fail on them)',
  '  1  usage error, unreadable input, invalid --config, or a config the chosen VolSync cannot run',
  '  4  with --strict: at least one PVC is invalid (unknown tier, exempt without a reason, conflicting labels, ...)',
].join('\n');

interface RenderOptions {
  filename: string[];
  config?: string;
  volsync: string;
  asNew?: boolean;
  strict?: boolean;
  namespace: string;
}

/** Registers `lifeboat render` on the program. */
export function registerRender(program: Command, io: Io): void {
  program
    .command('render')
    .description('print the VolSync objects lifeboat would generate for PVC manifests, offline')
    .option('-f, --filename <path>', 'manifest file, directory or - for stdin (repeatable)', collect, [])
    .option('--config <file>', 'lifeboat config file (default: the built-in defaults)')
    .option('--volsync <flavour>', `VolSync installed in the target cluster: ${FLAVOURS.join(' or ')}`, 'kopia-fork')
    .option('--as-new', 'treat every PVC as created just now (backups wait for minPvcAge)')
    .option('--strict', 'exit with status 4 when any PVC is invalid (gate CI on it)')
    .option('-n, --namespace <name>', 'namespace of PVC manifests that do not name one', 'default')
    .addHelpText('after', () => wrapHelp(HELP))
    .action(async (opts: RenderOptions) => {
      if (opts.filename.length === 0) usageError('render needs at least one -f <file|directory|->');
      const volsync = FLAVOURS.find((f) => f === opts.volsync);
      if (!volsync) usageError(`unknown --volsync "${opts.volsync}": use ${FLAVOURS.join(' or ')}`);
      const config = readConfigFile(opts.config);
      const problems = capabilityProblems(config, { volsync });
      if (problems.length > 0) usageError(problems.join('\n'));

      let manifests: Manifests;
      try {
        manifests = parseManifests(await readSources(opts.filename, () => text(process.stdin)), opts.namespace);
      } catch (error) {
        if (error instanceof InputError) usageError(error.message);
        throw error;
      }
      const rendered = render(manifests, config, { volsync, now: Date.now(), asNew: opts.asNew === true });
      io.out(formatObjects(rendered));
      io.err(formatVerdicts(rendered));
      if (opts.strict === true && rendered.some((r) => r.plan.verdict.kind === 'invalid')) {
        throw exitWith(EXIT.findings);
      }
    });
}

/** Plans every PVC of the input, sorted by namespace and name so the output does not depend on file order. */
export function render(
  manifests: Manifests,
  config: LifeboatConfig,
  facts: { volsync: VolSyncFlavour; now: number; asNew: boolean },
): RenderedPvc[] {
  const sourceSecret = copySource(manifests, config);
  return manifests.pvcs
    .map((pvc) => assumeState(pvc, config, facts))
    .sort((a, b) => key(a).localeCompare(key(b)))
    .map((pvc) => {
      const namespace = pvc.metadata.namespace ?? '';
      const intent = classifyPvc(pvc, manifests.namespaces.get(namespace), config);
      const plan = planPvc({
        pvc,
        intent,
        config,
        facts: { now: facts.now, cluster: { volsync: facts.volsync }, sourceSecret, observed: [] },
      });
      return { namespace, name: pvc.metadata.name, plan };
    });
}

/** The render assumptions of the help text, made explicit on each PVC before planning. */
function assumeState(
  pvc: PersistentVolumeClaim,
  config: LifeboatConfig,
  facts: { now: number; asNew: boolean },
): PersistentVolumeClaim {
  const { uid: _uid, ...metadata } = pvc.metadata;
  const creationTimestamp = facts.asNew
    ? new Date(facts.now).toISOString()
    : (metadata.creationTimestamp ?? new Date(facts.now - config.minPvcAge).toISOString());
  return {
    ...pvc,
    metadata: { ...metadata, creationTimestamp },
    status: { ...pvc.status, phase: pvc.status?.phase ?? 'Bound' },
  };
}

function copySource(manifests: Manifests, config: LifeboatConfig): SourceSecretFact {
  if (config.credentials.mode !== 'copy') return { state: 'not-read' };
  const { namespace, name } = config.credentials.secretRef;
  const secret = manifests.secrets.get(`${namespace}/${name}`);
  return secret ? { state: 'found', data: secret.data } : { state: 'not-read' };
}

function key(pvc: PersistentVolumeClaim): string {
  return `${pvc.metadata.namespace}/${pvc.metadata.name}`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
