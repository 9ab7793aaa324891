/**
 * deploy/helm/lifeboat/values.schema.json, generated from what `lifeboat manifests` checks (values.ts: the defaults'
 * keys and types, the choices, the free-form sections, the numeric limits) and from the config's shape as the loader
 * reads it (config-shape.ts). Helm applies it to `helm template`, `install` and `upgrade`; editors use it to complete
 * values files. Misspelt keys inside `config:` are left to the chart's own check, which answers with the loader's
 * "did you mean".
 */
import { configSchema } from './config-shape.ts';
import { DEFAULT_VALUES, ENUMS, FREE_FORM, POD_IDS } from './values.ts';

type Schema = Record<string, unknown>;

const ID = { type: 'integer', minimum: 0 };

/** Schemas that say more than the default value's type. */
const SPECIAL: Readonly<Record<string, Schema>> = {
  'image.repository': { type: 'string', minLength: 1 },
  replicaCount: { type: 'integer', minimum: 1 },
  'podDisruptionBudget.minAvailable': { type: 'integer', minimum: 0 },
  nameOverride: { type: 'string', pattern: '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$' },
  fullnameOverride: { type: 'string', pattern: '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$' },
  podSecurityContext: {
    type: 'object',
    properties: {
      ...Object.fromEntries(POD_IDS.map((key) => [key, ID])),
      supplementalGroups: { type: 'array', items: ID },
    },
  },
};

function schemaOf(value: unknown, path: string): Schema {
  const special = SPECIAL[path];
  if (special) return special;
  if (path === 'config') {
    return { ...configSchema(), description: 'The lifeboat configuration (docs/configuration.md).' };
  }
  const choices = ENUMS[path];
  if (choices) return { enum: [...choices] };
  if (Array.isArray(value)) return { type: 'array' };
  if (typeof value === 'number') return { type: 'integer' };
  if (typeof value === 'boolean' || typeof value === 'string') return { type: typeof value };
  const map = value as Record<string, unknown>;
  if (FREE_FORM.has(path)) return { type: 'object' };
  const properties: Record<string, Schema> = {};
  for (const [key, child] of Object.entries(map)) properties[key] = schemaOf(child, path ? `${path}.${key}` : key);
  return { type: 'object', additionalProperties: false, required: Object.keys(map), properties };
}

export function valuesSchema(): Schema {
  return {
    $schema: 'https://json-schema.org/draft-07/schema#',
    title: 'lifeboat chart values (generated from src/deploy/values.ts and the config loader)',
    ...schemaOf(DEFAULT_VALUES, ''),
  };
}
