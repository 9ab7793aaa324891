/** Output of `lifeboat render`: the generated objects as YAML (stdout) and one verdict line per PVC (stderr). */
import { stringify } from 'yaml';
import type { MaintenancePlan } from '../plan/maintenance.ts';
import type { Plan } from '../plan/plan.ts';
import { formatTable } from './output.ts';

export interface RenderedPvc {
  namespace: string;
  name: string;
  plan: Plan;
}

/**
 * Multi-document YAML, one commented group per PVC, in the order given (the caller sorts), then the repository's
 * maintenance objects (in lifeboat's namespace).
 */
export function formatObjects(rendered: readonly RenderedPvc[], maintenance?: MaintenancePlan): string {
  const docs: string[] = [];
  for (const { namespace, name, plan } of rendered) {
    plan.apply.forEach((object, index) => {
      const header = index === 0 ? `# ${namespace}/${name}: ${plan.verdict.kind}${tierOf(plan)}\n` : '';
      docs.push(`---\n${header}${stringify(object, { lineWidth: 0 })}`);
    });
  }
  maintenance?.apply.forEach((object, index) => {
    const header = index === 0 ? `# repository maintenance (${object.metadata.namespace}): ${maintenance.state}\n` : '';
    docs.push(`---\n${header}${stringify(object, { lineWidth: 0 })}`);
  });
  return docs.join('');
}

/** An aligned table (NAMESPACE PVC VERDICT TIER DETAIL), then warnings, notes and a one-line summary. */
export function formatVerdicts(
  rendered: readonly RenderedPvc[],
  extra: { warnings: readonly string[]; notes: readonly string[] } = { warnings: [], notes: [] },
  maintenance?: MaintenancePlan,
): string {
  const rows = [
    ['NAMESPACE', 'PVC', 'VERDICT', 'TIER', 'DETAIL'],
    ...rendered.map(({ namespace, name, plan }) => [
      namespace,
      name,
      plan.verdict.kind,
      'tier' in plan.verdict ? plan.verdict.tier : '-',
      detailOf(plan),
    ]),
  ];
  const lines = [formatTable(rows)];

  for (const { namespace, name, plan } of rendered) {
    for (const w of plan.warnings) lines.push(`warning: ${namespace}/${name}: ${w.reason}: ${w.message}`);
  }
  for (const w of extra.warnings) lines.push(`warning: ${w}`);
  if (maintenance) lines.push(`repository maintenance: ${maintenance.state}: ${maintenance.message}`);
  const notes = [...new Set([...rendered.flatMap((r) => r.plan.notes), ...extra.notes, ...(maintenance?.notes ?? [])])];
  for (const note of notes) lines.push(`note: ${note}`);

  const counts = new Map<string, number>();
  for (const { plan } of rendered) counts.set(plan.verdict.kind, (counts.get(plan.verdict.kind) ?? 0) + 1);
  const summary = [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
  lines.push(`${rendered.length} PVC${rendered.length === 1 ? '' : 's'}${summary ? `: ${summary}` : ''}`);
  return `${lines.join('\n')}\n`;
}

function tierOf(plan: Plan): string {
  return 'tier' in plan.verdict ? ` (tier ${plan.verdict.tier})` : '';
}

/** Invalid and waiting verdicts lead with their Event reason, which is what `kubectl get events` will show. */
function detailOf(plan: Plan): string {
  const { kind, event } = plan.verdict;
  return kind === 'invalid' || kind === 'waiting' || kind === 'unsupported'
    ? `${event.reason}: ${event.message}`
    : event.message;
}
