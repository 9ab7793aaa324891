/**
 * Kopia source identities for PVCs. The VolSync kopia mover snapshots `/data` as `<username>@<hostname>`, and the
 * conventions in use map a PVC to a source through a template (README.md, "The backup catalog"):
 * `{pvc}-backup@{namespace}:/data` (ReplicationSource `<pvc>-backup`, pvc-plumber v3) or `{pvc}@{namespace}:/data`
 * (explicit username/hostname, pvc-plumber v4). The inverse lets the catalog list every PVC in a repository.
 */

import { renderTemplate } from '../../../template.ts';

export const DEFAULT_IDENTITY_TEMPLATE = '{pvc}-backup@{namespace}:/data';
export const PVC_IDENTITY_TEMPLATE = '{pvc}@{namespace}:/data';

export interface PvcRef {
  namespace: string;
  pvc: string;
}

const PLACEHOLDERS = ['namespace', 'pvc'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

// Kubernetes names: namespaces are DNS-1123 labels, PVC names DNS-1123 subdomains. Constraining the captures keeps
// the inverse from swallowing separators like '@' or ':'.
const PATTERNS: Record<Placeholder, { greedy: string; lazy: string }> = {
  namespace: { greedy: '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?', lazy: '[a-z0-9](?:[-a-z0-9]*?[a-z0-9])??' },
  pvc: { greedy: '[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?', lazy: '[a-z0-9](?:[-a-z0-9.]*?[a-z0-9])??' },
};

export class IdentityTemplateError extends Error {
  override readonly name = 'IdentityTemplateError';
}

type Token = { literal: string } | { placeholder: Placeholder };

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  const seen = new Set<Placeholder>();
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    const name = m[1] ?? '';
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new IdentityTemplateError(
        `identity template "${template}" has unknown placeholder {${name}}; use {namespace} and {pvc}`,
      );
    }
    if (m.index > last) tokens.push({ literal: template.slice(last, m.index) });
    tokens.push({ placeholder: name as Placeholder });
    seen.add(name as Placeholder);
    last = m.index + m[0].length;
  }
  if (last < template.length) tokens.push({ literal: template.slice(last) });
  if (!seen.has('pvc') || !seen.has('namespace')) {
    throw new IdentityTemplateError(
      `identity template "${template}" must contain both {namespace} and {pvc}, e.g. ${DEFAULT_IDENTITY_TEMPLATE}`,
    );
  }
  if (/[{}]/.test(tokens.map((t) => ('literal' in t ? t.literal : '')).join(''))) {
    throw new IdentityTemplateError(`identity template "${template}" has an unbalanced brace`);
  }
  return tokens;
}

/** Throws IdentityTemplateError naming the problem when `template` cannot be used. */
export function validateIdentityTemplate(template: string): void {
  tokenize(template);
}

/** The source `user@host:path` of a PVC under `template` (validated here; rendered as every template is). */
export function renderIdentity(template: string, ref: PvcRef): string {
  tokenize(template);
  return renderTemplate(template, ref);
}

function compile(tokens: Token[], mode: 'greedy' | 'lazy'): RegExp {
  const defined = new Set<Placeholder>();
  const body = tokens
    .map((t) => {
      if ('literal' in t) return t.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (defined.has(t.placeholder)) return `\\k<${t.placeholder}>`;
      defined.add(t.placeholder);
      return `(?<${t.placeholder}>${PATTERNS[t.placeholder][mode]})`;
    })
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * The PVC a source belongs to under `template`, or undefined when the source does not follow it — or could be read
 * in more than one way (e.g. `{namespace}-{pvc}@…` with dashes in both), since guessing would attach one PVC's
 * backups to another.
 */
export function matchIdentity(template: string, source: string): PvcRef | undefined {
  const tokens = tokenize(template);
  const greedy = compile(tokens, 'greedy').exec(source)?.groups;
  const lazy = compile(tokens, 'lazy').exec(source)?.groups;
  if (!greedy?.namespace || !greedy.pvc || !lazy) return undefined;
  if (greedy.namespace !== lazy.namespace || greedy.pvc !== lazy.pvc) return undefined;
  return { namespace: greedy.namespace, pvc: greedy.pvc };
}
