/**
 * `lifeboat render`: what lifeboat would generate for a set of manifests, offline. The same intent and planner the
 * controller runs, fed with facts that come from the manifests and stated assumptions instead of a cluster.
 */
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import type { LifeboatConfig } from '../config/types.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { Namespace, PersistentVolumeClaim } from '../intent/resources.ts';
import { capabilityProblems, type VolSyncFlavour } from '../plan/capability.ts';
import type { SourceSecretFact } from '../plan/credentials.ts';
import { type MaintenancePlan, planMaintenance } from '../plan/maintenance.ts';
import { planPvc } from '../plan/plan.ts';
import { readConfigFile } from './config-file.ts';
import { EXIT, exitWith, usageError } from './exit-codes.ts';
import type { Io } from './io.ts';
import { formatData, objectList, outputOption, wrapHelp } from './output.ts';
import { type Finding, renderFindings, shortenedNames } from './render-findings.ts';
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
  '  - A PVC whose Namespace is not in the input has not opted in, unless --assume-opted-in or --namespace-annotations say how the cluster has it, e.g. --namespace-annotations app:volsync.backube/privileged-movers=true',
  '  - Copy-mode credentials: if the input holds the source Secret (credentials.secretRef of the config), its keys are copied. Otherwise the Secret carries only the keys lifeboat renders itself (the repository location, if any) and the annotation lifeboat.dev/credentials-from naming the source; no placeholder values are invented.',
  '  - PVC uids are dropped, so rendered sources carry no owner reference to one particular PVC.',
  '',
  'Output:',
  "  stdout: every object lifeboat would apply, as multi-document YAML (-o json: one v1 List), ordered by namespace and PVC, then Secret/ExternalSecret, ReplicationDestination, ReplicationSource; last, for a kopia repository, the Secret (or ExternalSecret) and KopiaMaintenance of its full maintenance, in lifeboat's namespace. stderr: one verdict per PVC, the repository maintenance plan, then warnings (findings) and notes, e.g. a generated name shortened with a hash to fit its limit.",
  '',
  'Findings (warnings; failures with --strict):',
  '  - an invalid PVC (unknown tier, exempt without a reason, conflicting labels, ...)',
  '  - a labelled PVC that would get no backup: its namespace is not opted in, or not in the input',
  '  - a name the API server would reject (a PVC name longer than 253 characters, a generated name)',
  '  - an input that holds no Kubernetes object (a shell script, an empty file)',
  '',
  'Exit status:',
  '  0  rendered (findings are reported as warnings; add --strict to fail on them)',
  '  1  usage error, unreadable input, invalid --config, or a config the chosen VolSync cannot run',
  '  4  with --strict: at least one finding (an invalid PVC, a labelled PVC without backup, a rejected name, ...)',
].join('\n');

interface RenderOptions {
  filename: string[];
  config?: string;
  volsync: string;
  asNew?: boolean;
  strict?: boolean;
  namespace: string;
  assumeOptedIn?: boolean;
  namespaceAnnotations: string[];
  output: string;
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
    .option(
      '--strict',
      'exit with status 4 on any finding: an invalid PVC, a labelled PVC that would get no backup, a name the API ' +
        'server would reject, an input without Kubernetes objects (gate CI on it)',
    )
    .option('-n, --namespace <name>', 'namespace of PVC manifests that do not name one', 'default')
    .option(
      '--assume-opted-in',
      'treat every namespace that is not in the input as opted in (app repositories without their Namespace)',
    )
    .option(
      '--namespace-annotations <ns:k=v,...>',
      'annotations of a namespace as the cluster has them: NS:KEY=VALUE[,KEY=VALUE] (repeatable; see Assumptions)',
      collect,
      [],
    )
    .addOption(outputOption(['yaml', 'json'], 'yaml'))
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
      const assumed = assumeNamespaces(manifests, config, {
        assumeOptedIn: opts.assumeOptedIn === true,
        annotations: opts.namespaceAnnotations.map(parseNamespaceAnnotations),
      });
      const rendered = render(manifests, config, { volsync, now: Date.now(), asNew: opts.asNew === true });
      const findings: Finding[] = [
        ...manifests.withoutObjects.map((path) => ({
          where: path === '-' ? 'stdin' : path,
          message: 'holds no Kubernetes object (no document with apiVersion and kind): is it the right file?',
        })),
        ...renderFindings(rendered, config),
      ];
      const maintenance = renderMaintenance(manifests, config, volsync);
      if (opts.output === 'json') {
        io.out(
          formatData('json', objectList([...rendered.flatMap((r) => r.plan.apply), ...(maintenance?.apply ?? [])])),
        );
      } else io.out(formatObjects(rendered, maintenance));
      io.err(
        formatVerdicts(
          rendered,
          {
            warnings: findings.map((f) => `${f.where}: ${f.message}`),
            notes: [...assumed, ...shortenedNames(rendered, config)],
          },
          maintenance,
        ),
      );
      const invalid = rendered.filter(
        (r) => r.plan.verdict.kind === 'invalid' || r.plan.verdict.kind === 'unsupported',
      );
      const count = invalid.length + findings.length;
      if (opts.strict === true && count > 0) {
        io.err(`--strict: ${count} finding${count === 1 ? '' : 's'} (invalid PVCs and warnings above)\n`);
        throw exitWith(EXIT.findings);
      }
    });
}

/** `app:key=value,key2=value2` → the namespace and its annotations, or a usage error showing the format. */
function parseNamespaceAnnotations(text: string): { namespace: string; annotations: Record<string, string> } {
  const colon = text.indexOf(':');
  const namespace = text.slice(0, colon);
  const pairs = text.slice(colon + 1).split(',');
  const annotations: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (colon <= 0 || eq <= 0) {
      usageError(
        `--namespace-annotations "${text}" is not <namespace>:<key>=<value>[,<key>=<value>...]: write it like ` +
          'app:volsync.backube/privileged-movers=true',
      );
    }
    annotations[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { namespace, annotations };
}

/**
 * Fills in the Namespaces the input lacks, as the flags describe the cluster: `--namespace-annotations` adds
 * annotations (to the input's Namespace or a stand-in), `--assume-opted-in` opts in every namespace of a PVC that the
 * input does not hold. Returns notes saying what was assumed.
 */
function assumeNamespaces(
  manifests: Manifests,
  config: LifeboatConfig,
  flags: { assumeOptedIn: boolean; annotations: { namespace: string; annotations: Record<string, string> }[] },
): string[] {
  const notes: string[] = [];
  const standIn = (name: string): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const { namespace, annotations } of flags.annotations) {
    const existing = manifests.namespaces.get(namespace) ?? standIn(namespace);
    manifests.namespaces.set(namespace, {
      ...existing,
      metadata: { ...existing.metadata, annotations: { ...existing.metadata.annotations, ...annotations } },
    });
  }
  if (flags.assumeOptedIn) {
    const optIn = config.keys.namespaceOptInAnnotation;
    const missing = [...new Set(manifests.pvcs.map((p) => p.metadata.namespace ?? ''))].filter(
      (ns) => !manifests.namespaces.has(ns),
    );
    for (const ns of missing.sort()) {
      manifests.namespaces.set(ns, { ...standIn(ns), metadata: { name: ns, annotations: { [optIn]: 'true' } } });
      notes.push(`namespace ${ns} is not in the input; assumed opted in (--assume-opted-in)`);
    }
  }
  return notes;
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

/** The kopia repository's maintenance objects, with the same source-Secret assumption as the PVCs' Secrets. */
function renderMaintenance(manifests: Manifests, config: LifeboatConfig, volsync: VolSyncFlavour): MaintenancePlan {
  return planMaintenance({ config, cluster: { volsync }, sourceSecret: copySource(manifests, config), observed: [] });
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
