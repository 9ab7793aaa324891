/**
 * `lifeboat manifests`: the installation as plain YAML for `kubectl apply` or Kustomize, from the same values file
 * the Helm chart reads (deploy/helm/lifeboat/values.yaml documents every setting). Offline: no cluster is contacted.
 *
 *   lifeboat manifests --config lifeboat.yaml > lifeboat-install.yaml
 *   lifeboat manifests --values my-values.yaml --namespace backup-system
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse, YAMLError } from 'yaml';
import { formatYamlError } from '../config/yaml-errors.ts';
import { manifestsYaml, renderManifests } from '../deploy/manifests.ts';
import { resolveValues, ValuesError } from '../deploy/values.ts';
import { VERSION } from '../version.ts';
import { usageError } from './exit-codes.ts';
import type { Io } from './io.ts';
import { formatData, objectList, outputOption, wrapHelp } from './output.ts';

interface ManifestsFlags {
  values: string[];
  config?: string;
  namespace?: string;
  namespaceObject: boolean;
  output: string;
}

const HELP = [
  '',
  'Input:',
  "  --values files use the Helm chart's values format (deploy/helm/lifeboat/values.yaml); later files win, maps merge and null removes a default, as with `helm -f`. --config is a lifeboat config file (docs/configuration.md); it replaces the values' `config` section. The config is validated here, so a broken one fails now, not in a pod.",
  '',
  'Output:',
  '  Multi-document YAML on stdout (-o json: one v1 List), in apply order: Namespace, ServiceAccount, RBAC (each rule with the reason it is granted), ConfigMap, Service, Deployment, PodDisruptionBudget, and, when enabled, cert-manager objects, ServiceMonitor, PrometheusRule and the webhook configurations. `helm template` with the same values prints the same objects (minus the Namespace).',
  '',
  'Exit status: 0 rendered; 1 unreadable or invalid values or config.',
].join('\n');

function readYamlMap(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    usageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let value: unknown;
  try {
    value = parse(text) ?? {};
  } catch (error) {
    if (error instanceof YAMLError) usageError(`not valid YAML: ${formatYamlError(path, error)}`);
    throw error;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) usageError(`${path}: expected a YAML map`);
  return value as Record<string, unknown>;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerManifests(program: Command, io: Io): void {
  program
    .command('manifests')
    .description('print the Kubernetes objects that install lifeboat (the Helm chart, rendered plainly)')
    .option('-f, --values <file>', 'chart values file (repeatable)', collect, [])
    .option('--config <file>', 'lifeboat config file; replaces the values section `config`')
    .option('-n, --namespace <name>', 'install namespace (default: config.namespace, else lifeboat-system)')
    .option('--no-namespace-object', 'leave the Namespace object out (it exists already)')
    .addOption(outputOption(['yaml', 'json'], 'yaml'))
    .addHelpText('after', () => wrapHelp(HELP))
    .action((flags: ManifestsFlags) => {
      const overrides = flags.values.map((path) => readYamlMap(path, 'values file'));
      if (flags.config) overrides.push({ config: null }, { config: readYamlMap(flags.config, 'config') });
      try {
        const values = resolveValues(...overrides);
        const configured = values.config.namespace;
        const namespace = flags.namespace ?? (typeof configured === 'string' ? configured : 'lifeboat-system');
        const rendered = renderManifests(values, { namespace, includeNamespace: flags.namespaceObject });
        const header = `lifeboat ${VERSION}, namespace ${namespace}: rendered by \`lifeboat manifests\`.`;
        if (flags.output === 'json') io.out(formatData('json', objectList(rendered.map((r) => r.object))));
        else io.out(manifestsYaml(rendered, header));
      } catch (error) {
        if (error instanceof ValuesError) usageError(error.message);
        throw error;
      }
    });
}
