/**
 * `{name}` placeholders in names, repository locations and kopia identities. One tiny syntax for every template so
 * that users learn it once; unknown placeholders are config errors, never left in output.
 */

export type TemplateVariable = 'namespace' | 'pvc';

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** The placeholder names a template uses, in order of appearance (duplicates kept). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Replaces every `{namespace}` / `{pvc}`; the template must have been validated to use only those. */
export function renderTemplate(template: string, values: Readonly<Record<TemplateVariable, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    name === 'namespace' || name === 'pvc' ? values[name] : whole,
  );
}
