/**
 * Every generated object, across a matrix of configurations, is checked twice: against the "Do not emit" rules of
 * docs/design.md#objects-and-schema, and against the real CRD schemas (`../shared/crds`), where an unknown field would
 * be pruned
 * silently by the API server.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CRDS_DIR } from '../../test/support/testenv.ts';
import { loadConfig } from '../config/load.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import { KOPIA_COMPRESSIONS } from '../mover/kopia/compressions.ts';
import type { VolSyncFlavour } from './capability.ts';
import { planMaintenance } from './maintenance.ts';
import type { GeneratedObject } from './objects.ts';
import { planPvc } from './plan.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const NFS = 'nfs: {server: nas.example.com, path: /export/volsync}';
const ESO =
  'credentials: {mode: external-secret, storeRef: {name: 1password}, extract: rustfs, data: {KOPIA_PASSWORD: {key: rustfs, property: p}}}';
const RESTIC = 'backend: restic, url: "s3:http://minio:9000/volsync/{namespace}/{pvc}"';

const configurations: { name: string; yaml: string; volsync: VolSyncFlavour }[] = [
  { name: 'kopia defaults', yaml: '', volsync: 'kopia-fork' },
  { name: 'kopia on NFS with ExternalSecret', yaml: `repository: {${NFS}}\n${ESO}`, volsync: 'kopia-fork' },
  {
    name: 'kopia with classes and plumber identity',
    yaml: 'repository: {identity: "{pvc}@{namespace}:/data"}\nmover: {volumeSnapshotClassName: snap, storageClassName: fast}',
    volsync: 'kopia-fork',
  },
  { name: 'restic on upstream', yaml: `repository: {${RESTIC}}`, volsync: 'upstream' },
  {
    name: 'restic on NFS on the fork',
    yaml: `repository: {backend: restic, url: "/mnt/repository/{namespace}/{pvc}", ${NFS}}`,
    volsync: 'kopia-fork',
  },
  {
    name: 'restic on NFS on upstream',
    yaml: `repository: {backend: restic, url: "/mnt/repository/{namespace}/{pvc}", ${NFS}}`,
    volsync: 'upstream',
  },
  { name: 'restic on upstream with ExternalSecret', yaml: `repository: {${RESTIC}}\n${ESO}`, volsync: 'upstream' },
];
const pvcNames = ['data', 'x'.repeat(253)];
const tiers = ['hourly', 'daily', 'weekly', 'manual'];

function generate(): { label: string; object: GeneratedObject; volsync: VolSyncFlavour }[] {
  const out: { label: string; object: GeneratedObject; volsync: VolSyncFlavour }[] = [];
  for (const c of configurations) {
    const config = loadConfig(c.yaml);
    for (const name of pvcNames) {
      for (const tier of tiers) {
        const pvc: PersistentVolumeClaim = {
          metadata: {
            name,
            namespace: 'app',
            uid: 'u',
            creationTimestamp: '2026-01-01T00:00:00Z',
            labels: { backup: tier },
          },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'longhorn',
            resources: { requests: { storage: '1Gi' } },
          },
          status: { phase: 'Bound' },
        };
        const plan = planPvc({
          pvc,
          intent: classifyPvc(
            pvc,
            { metadata: { name: 'app', annotations: { 'volsync.backube/privileged-movers': 'true' } } },
            config,
          ),
          config,
          facts: { now: NOW, cluster: { volsync: c.volsync }, sourceSecret: { state: 'not-read' }, observed: [] },
        });
        assert.equal(plan.verdict.kind, 'protected', `${c.name}: ${plan.verdict.event.message}`);
        for (const object of plan.apply)
          out.push({
            label: `${c.name}, ${tier}, ${name.length}-char PVC: ${object.kind}`,
            object,
            volsync: c.volsync,
          });
      }
    }
  }
  return out;
}

const generated = generate();

/** The mover block of a source or destination, whichever mover it uses. */
function mover(object: GeneratedObject): Record<string, unknown> | undefined {
  if (object.kind !== 'ReplicationSource' && object.kind !== 'ReplicationDestination') return undefined;
  return (object.spec.kopia ?? object.spec.restic) as unknown as Record<string, unknown>;
}

describe('never emitted (docs/design.md#objects-and-schema)', () => {
  const rules: { rule: string; ok: (o: GeneratedObject, volsync: VolSyncFlavour) => boolean }[] = [
    {
      rule: 'no kopia.repositoryPVC / maintenanceIntervalDays (removed from the fork)',
      ok: (o) => !['repositoryPVC', 'maintenanceIntervalDays'].some((k) => k in (kopiaOf(o) ?? {})),
    },
    {
      rule: 'no kopia.pruneIntervalDays / unlock (restic-only)',
      ok: (o) => !['pruneIntervalDays', 'unlock'].some((k) => k in (kopiaOf(o) ?? {})),
    },
    { rule: 'no kopia block against the upstream CRD', ok: (o, v) => v === 'kopia-fork' || kopiaOf(o) === undefined },
    {
      rule: 'exactly one of trigger.schedule / trigger.manual, never empty',
      ok: (o) => {
        if (o.kind !== 'ReplicationSource' && o.kind !== 'ReplicationDestination') return true;
        const t = o.spec.trigger as { schedule?: string; manual?: string };
        return Object.keys(t).length === 1 && (t.schedule ?? t.manual ?? '') !== '';
      },
    },
    {
      rule: 'destinations use a manual trigger',
      ok: (o) => o.kind !== 'ReplicationDestination' || 'manual' in o.spec.trigger,
    },
    {
      rule: 'copyMethod is Snapshot (never empty, None, Clone or Direct)',
      ok: (o) => mover(o) === undefined || mover(o)?.copyMethod === 'Snapshot',
    },
    {
      rule: 'a destination has both or neither of kopia.username / kopia.hostname, and never neither',
      ok: (o) =>
        o.kind !== 'ReplicationDestination' || !o.spec.kopia || (!!o.spec.kopia.username && !!o.spec.kopia.hostname),
    },
    {
      rule: 'restic.retain.last is a string',
      ok: (o) =>
        o.kind !== 'ReplicationSource' ||
        !o.spec.restic ||
        o.spec.restic.retain.last === undefined ||
        typeof o.spec.restic.retain.last === 'string',
    },
    { rule: 'no kopia.additionalArgs', ok: (o) => !('additionalArgs' in (kopiaOf(o) ?? {})) },
    {
      rule: 'moverSecurityContext.runAsUser is not 0',
      ok: (o) => (mover(o)?.moverSecurityContext as { runAsUser?: number } | undefined)?.runAsUser !== 0,
    },
    {
      rule: 'kopia.compression is a known algorithm',
      ok: (o) => kopiaOf(o)?.compression === undefined || KOPIA_COMPRESSIONS.includes(String(kopiaOf(o)?.compression)),
    },
    {
      rule: 'no cleanupTempPVC together with destinationPVC',
      ok: (o) => !(mover(o)?.cleanupTempPVC !== undefined && mover(o)?.destinationPVC !== undefined),
    },
    { rule: 'nothing under status', ok: (o) => !('status' in o) },
    { rule: 'Secrets use data, never stringData', ok: (o) => o.kind !== 'Secret' || !('stringData' in o) },
  ];
  for (const { rule, ok } of rules) {
    it(rule, () => {
      const broken = generated.filter((g) => !ok(g.object, g.volsync)).map((g) => g.label);
      assert.deepEqual(broken, []);
    });
  }

  it('covers both movers and both credential modes', () => {
    const seen = new Set(
      generated.map((g) => `${g.object.kind}:${mover(g.object) && kopiaOf(g.object) ? 'kopia' : 'other'}`),
    );
    for (const expected of [
      'ReplicationSource:kopia',
      'ReplicationSource:other',
      'ExternalSecret:other',
      'Secret:other',
    ]) {
      assert.ok(seen.has(expected), expected);
    }
  });
});

function kopiaOf(o: GeneratedObject): Record<string, unknown> | undefined {
  if (o.kind !== 'ReplicationSource' && o.kind !== 'ReplicationDestination') return undefined;
  return o.spec.kopia as unknown as Record<string, unknown> | undefined;
}

/** The subset of OpenAPI v3 structural schemas the CRDs use. */
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: Schema | boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

function loadSchema(file: string): Schema {
  const crd = parse(readFileSync(join(CRDS_DIR, file), 'utf8')) as {
    spec: { versions: { name: string; storage: boolean; schema: { openAPIV3Schema: Schema } }[] };
  };
  const version = crd.spec.versions.find((v) => v.storage);
  assert.ok(version, `${file} has a storage version`);
  return version.schema.openAPIV3Schema;
}

/** Every place `value` breaks `schema`, as `path: problem`. */
function violations(value: unknown, schema: Schema, path: string): string[] {
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value === 'number' && Number.isInteger(value)) return [];
    if (typeof value !== 'string') return [`${path}: not int-or-string`];
    return schema.pattern && !new RegExp(schema.pattern).test(value)
      ? [`${path}: "${value}" does not match ${schema.pattern}`]
      : [];
  }
  const problems: string[] = [];
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in enum`);
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected string, got ${typeof value}`];
      if (schema.pattern && !new RegExp(schema.pattern).test(value))
        problems.push(`${path}: "${value}" does not match ${schema.pattern}`);
      return problems;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? problems : [`${path}: expected integer`];
    case 'boolean':
      return typeof value === 'boolean' ? problems : [`${path}: expected boolean`];
    case 'array': {
      if (!Array.isArray(value)) return [`${path}: expected array`];
      if (schema.minItems !== undefined && value.length < schema.minItems)
        problems.push(`${path}: fewer than ${schema.minItems} items`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        problems.push(`${path}: more than ${schema.maxItems} items`);
      return [
        ...problems,
        ...value.flatMap((item, i) => (schema.items ? violations(item, schema.items, `${path}[${i}]`) : [])),
      ];
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected object`];
      const record = value as Record<string, unknown>;
      for (const key of schema.required ?? []) if (!(key in record)) problems.push(`${path}.${key}: required`);
      for (const [key, child] of Object.entries(record)) {
        const sub =
          schema.properties?.[key] ??
          (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
        if (sub) problems.push(...violations(child, sub, `${path}.${key}`));
        else if (!schema['x-kubernetes-preserve-unknown-fields'])
          problems.push(`${path}.${key}: unknown field (would be pruned)`);
      }
      return problems;
    }
    default:
      return problems;
  }
}

describe('generated objects against the installed CRD schemas', () => {
  const schemas = {
    'kopia-fork': {
      ReplicationSource: loadSchema('volsync-kopia-fork/volsync.backube_replicationsources.yaml'),
      ReplicationDestination: loadSchema('volsync-kopia-fork/volsync.backube_replicationdestinations.yaml'),
    },
    upstream: {
      ReplicationSource: loadSchema('volsync-upstream/volsync.backube_replicationsources.yaml'),
      ReplicationDestination: loadSchema('volsync-upstream/volsync.backube_replicationdestinations.yaml'),
    },
  };
  const externalSecret = loadSchema('external-secrets/external-secrets.io_externalsecrets.yaml');

  it('every ReplicationSource and ReplicationDestination fits the CRD of the VolSync it targets', () => {
    const problems = generated.flatMap(({ object, volsync, label }) =>
      object.kind === 'ReplicationSource' || object.kind === 'ReplicationDestination'
        ? violations(object.spec, schemas[volsync][object.kind].properties?.spec ?? {}, 'spec').map(
            (p) => `${label}: ${p}`,
          )
        : [],
    );
    assert.deepEqual(problems, []);
  });

  it('every ExternalSecret fits the external-secrets.io/v1 CRD', () => {
    const objects = generated.filter((g) => g.object.kind === 'ExternalSecret');
    assert.ok(objects.length > 0);
    const problems = objects.flatMap(({ object, label }) =>
      violations((object as { spec: unknown }).spec, externalSecret.properties?.spec ?? {}, 'spec').map(
        (p) => `${label}: ${p}`,
      ),
    );
    assert.deepEqual(problems, []);
  });

  it('every KopiaMaintenance and its credentials fit the fork’s CRDs', () => {
    const kopiaMaintenance = loadSchema('volsync-kopia-fork/volsync.backube_kopiamaintenances.yaml');
    const kopiaConfigurations = configurations.filter((c) => c.volsync === 'kopia-fork' && !c.yaml.includes('restic'));
    const extra = [
      {
        name: 'kopia on S3, weekly maintenance',
        yaml: 'repository: {url: "s3://b/v", maintenance: {schedule: "@weekly"}}',
      },
      { name: 'kopia, maintenance on listed days', yaml: 'repository: {maintenance: {schedule: "0 3 * * 1,3,5"}}' },
    ];
    const objects = [...kopiaConfigurations, ...extra].flatMap((c) =>
      planMaintenance({
        config: loadConfig(c.yaml),
        cluster: { volsync: 'kopia-fork', kopiaMaintenance: true },
        sourceSecret: { state: 'not-read' },
        observed: [],
      }).apply.map((object) => ({ label: `${c.name}: ${object.kind}`, object })),
    );
    assert.ok(objects.filter((o) => o.object.kind === 'KopiaMaintenance').length >= 4);
    assert.ok(objects.some((o) => o.object.kind === 'ExternalSecret'));
    const problems = objects.flatMap(({ object, label }) => {
      const schema =
        object.kind === 'KopiaMaintenance'
          ? kopiaMaintenance
          : object.kind === 'ExternalSecret'
            ? externalSecret
            : undefined;
      return schema
        ? violations((object as { spec: unknown }).spec, schema.properties?.spec ?? {}, 'spec').map(
            (p) => `${label}: ${p}`,
          )
        : [];
    });
    assert.deepEqual(problems, []);
    // The checker reads this schema for real: the fork rejects a bad cron and prunes an unknown field.
    assert.deepEqual(
      violations(
        { repository: { repository: 'x' }, trigger: { schedule: 'daily' }, maintenanceIntervalDays: 7 },
        kopiaMaintenance.properties?.spec ?? {},
        'spec',
      ).length,
      2,
    );
  });

  it('the checker itself catches a pruned field and a wrong type', () => {
    const rs = schemas['kopia-fork'].ReplicationSource.properties?.spec ?? {};
    assert.deepEqual(violations({ kopia: { maintenanceIntervalDays: 7 } }, rs, 'spec'), [
      'spec.kopia.maintenanceIntervalDays: unknown field (would be pruned)',
    ]);
    assert.deepEqual(violations({ restic: { retain: { last: 5 } } }, rs, 'spec'), [
      'spec.restic.retain.last: expected string, got number',
    ]);
    assert.deepEqual(violations({ kopia: { copyMethod: 'Copy' } }, rs, 'spec'), [
      'spec.kopia.copyMethod: "Copy" not in enum',
    ]);
    const upstream = schemas.upstream.ReplicationSource.properties?.spec ?? {};
    assert.deepEqual(violations({ kopia: {} }, upstream, 'spec'), ['spec.kopia: unknown field (would be pruned)']);
  });
});
