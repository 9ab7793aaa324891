/**
 * Files in the repository that are generated from the TypeScript sources, so that what ships cannot drift from what
 * the tests check: the chart's alert rules (from alerts.ts), the Grafana dashboard (from dashboard.ts), the chart's
 * values schema (values-schema.ts) and the config shape its templates check `config:` against (config-shape.ts).
 * `generated-files.test.ts` fails when a file differs from its source; `node src/deploy/write-generated-files.ts`
 * rewrites them.
 */
import { stringify } from 'yaml';
import { prometheusRuleSpec } from './alerts.ts';
import { configShape } from './config-shape.ts';
import { grafanaDashboard } from './dashboard.ts';
import { valuesSchema } from './values-schema.ts';

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  content(): string;
}

const HEADER =
  '# Generated from src/deploy/alerts.ts by `node src/deploy/write-generated-files.ts`; do not edit by hand.\n' +
  '# The chart embeds it as the spec of its optional PrometheusRule (templates/prometheusrule.yaml).\n';

export const GENERATED_FILES: readonly GeneratedFile[] = [
  {
    path: 'deploy/helm/lifeboat/files/alerts.yaml',
    content: () => HEADER + stringify(prometheusRuleSpec(), { lineWidth: 0 }),
  },
  {
    path: 'deploy/helm/lifeboat/values.schema.json',
    content: () => `${JSON.stringify(valuesSchema(), null, 2)}\n`,
  },
  {
    // JSON has no comments: what this file is and where it comes from is in templates/_config-check.tpl.
    path: 'deploy/helm/lifeboat/files/config-shape.json',
    content: () => `${JSON.stringify(configShape(), null, 2)}\n`,
  },
  {
    path: 'deploy/grafana/lifeboat.json',
    content: () => `${JSON.stringify(grafanaDashboard(), null, 2)}\n`,
  },
];
