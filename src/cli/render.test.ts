import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { spawnCli } from '../../test/support/cli.ts';
import { spreadMinute } from '../plan/schedule.ts';
import { EXIT } from './exit-codes.ts';
import { runCli } from './program.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = join(REPO, 'examples');
const scratch = mkdtempSync(join(tmpdir(), 'lifeboat-render-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const status = await runCli(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { status, out, err };
}

interface Printed {
  kind: string;
  metadata: { name: string; namespace: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** Every object printed on stdout. */
function printed(yaml: string): Printed[] {
  return parseAllDocuments(yaml).map((d) => d.toJS());
}

/** The PVCs' objects printed on stdout (the repository maintenance, in lifeboat's namespace, comes last). */
function objects(yaml: string): Printed[] {
  return printed(yaml).filter((d) => d.metadata.namespace !== 'lifeboat-system');
}

let counter = 0;
function file(content: string, name = `input-${++counter}.yaml`): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

const NAMESPACE = `apiVersion: v1
kind: Namespace
metadata:
  name: app
  annotations: {volsync.backube/privileged-movers: "true"}
`;

function pvcYaml(name: string, labels: string, extra = ''): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
  namespace: app
  labels: ${labels}
${extra}spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;
}

describe('lifeboat render', () => {
  it('renders the examples: objects per protected tier on stdout, a verdict per PVC on stderr', async () => {
    const r = await run('render', '-f', EXAMPLES);
    assert.equal(r.status, 0, r.err);
    const docs = objects(r.out);
    const byPvc = new Map<string, string[]>();
    for (const d of docs) {
      assert.equal(d.metadata.namespace, 'media');
      const pvc = d.metadata.name.replace(/-(volsync-secret|backup|restore)$/, '');
      byPvc.set(pvc, [...(byPvc.get(pvc) ?? []), d.kind]);
    }
    assert.deepEqual([...byPvc.keys()], ['jellyfin-config', 'music-archive', 'photos-library', 'studio-projects']);
    for (const kinds of byPvc.values())
      assert.deepEqual(kinds, ['Secret', 'ReplicationDestination', 'ReplicationSource']);

    const triggers = Object.fromEntries(
      docs.filter((d) => d.kind === 'ReplicationSource').map((d) => [d.metadata.name, d.spec?.trigger]),
    );
    assert.deepEqual(triggers, {
      'jellyfin-config-backup': { schedule: `${spreadMinute('media', 'jellyfin-config')} 2 * * *` },
      'music-archive-backup': { schedule: `${spreadMinute('media', 'music-archive')} 2 * * 0` },
      'photos-library-backup': { schedule: `${spreadMinute('media', 'photos-library')} * * * *` },
      'studio-projects-backup': { manual: 'backup-on-demand' },
    });

    assert.match(r.err, /^NAMESPACE +PVC +VERDICT +TIER +DETAIL$/m);
    assert.match(r.err, /^media +transcode-cache +exempt +- +exempt: cache/m);
    assert.match(r.err, /^media +podcast-downloads +invalid +- +UnknownTier: .*did you mean "weekly"\?/m);
    assert.match(r.err, /^media +photos-library +protected +hourly /m);
    assert.match(r.err, /^6 PVCs: 4 protected, 1 invalid, 1 exempt$/m);
  });

  it('--strict fails with status 4 when a PVC is invalid, and passes when none is', async () => {
    assert.equal((await run('render', '--strict', '-f', EXAMPLES)).status, 4);
    const valid = await run(
      'render',
      '--strict',
      '-f',
      join(EXAMPLES, 'namespace.yaml'),
      '-f',
      join(EXAMPLES, 'pvc-daily.yaml'),
    );
    assert.equal(valid.status, 0, valid.err);
    assert.match(valid.err, /^1 PVCs?: 1 protected$/m);
  });

  it('applies the example config: NFS repository in the Secret and moverVolumes', async () => {
    const r = await run('render', '-f', EXAMPLES, '--config', join(EXAMPLES, 'lifeboat.yaml'));
    assert.equal(r.status, 0, r.err);
    const secret = objects(r.out).find((d) => d.kind === 'Secret');
    assert.equal(
      Buffer.from(secret?.data?.KOPIA_REPOSITORY ?? '', 'base64').toString(),
      'filesystem:///mnt/repository',
    );
    assert.match(r.out, /moverVolumes:\n\s+- mountPath: repository/);
  });

  it('prints the kopia repository’s KopiaMaintenance and its Secret last, and the plan on stderr', async () => {
    const r = await run('render', '-f', EXAMPLES, '--config', join(EXAMPLES, 'lifeboat.yaml'));
    assert.equal(r.status, 0, r.err);
    const docs = printed(r.out);
    const maintenance = docs.slice(-2);
    assert.deepEqual(
      maintenance.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`),
      [
        'Secret lifeboat-system/lifeboat-repository-maintenance',
        'KopiaMaintenance lifeboat-system/lifeboat-repository-maintenance',
      ],
    );
    assert.equal(docs.length, objects(r.out).length + 2);
    assert.deepEqual(maintenance[1]?.spec?.trigger, { schedule: '30 4 * * *' });
    assert.deepEqual(maintenance[1]?.spec?.moverVolumes, [
      { mountPath: 'repository', volumeSource: { nfs: { server: 'nas.example.com', path: '/export/volsync' } } },
    ]);
    assert.match(r.out, /# repository maintenance \(lifeboat-system\): maintained\n/);
    assert.match(
      r.err,
      /^repository maintenance: maintained: full maintenance of the kopia repository on "30 4 \* \* \*"/m,
    );

    const off = file('repository: {maintenance: {enabled: false}}\n', 'maintenance-off.yaml');
    const without = await run('render', '-f', EXAMPLES, '--config', off);
    assert.equal(without.status, 0, without.err);
    assert.deepEqual(printed(without.out), objects(without.out));
    assert.match(without.err, /^repository maintenance: off: repository.maintenance.enabled is false/m);
  });

  it('exits 0 when every PVC is valid, and its output does not depend on the input order', async () => {
    const a = file(`${NAMESPACE}---\n${pvcYaml('zeta', '{backup: daily}')}`);
    const b = file(pvcYaml('alpha', '{backup: hourly}'));
    const first = await run('render', '-f', a, '-f', b);
    const second = await run('render', '-f', b, '-f', a);
    assert.equal(first.status, 0, first.err);
    assert.equal(first.out, second.out);
    assert.equal(first.err, second.err);
    assert.deepEqual(
      objects(first.out).map((d) => d.metadata.name),
      ['alpha-volsync-secret', 'alpha-restore', 'alpha-backup', 'zeta-volsync-secret', 'zeta-restore', 'zeta-backup'],
    );
  });

  it('with --as-new prints no backup source and says when backups will start', async () => {
    const r = await run('render', '--as-new', '-f', file(`${NAMESPACE}---\n${pvcYaml('data', '{backup: hourly}')}`));
    assert.equal(r.status, 0, r.err);
    assert.deepEqual(
      objects(r.out).map((d) => d.kind),
      ['Secret', 'ReplicationDestination'],
    );
    assert.match(r.err, /waiting +hourly +WaitingForMinAge: PVC is 0s old; .* \(in 2h\)/);
  });

  it("honours a manifest's own status and age", async () => {
    const pending = pvcYaml('data', '{backup: daily}').replace('spec:', 'status: {phase: Pending}\nspec:');
    const r = await run('render', '-f', file(`${NAMESPACE}---\n${pending}`));
    assert.match(r.err, /waiting +daily +WaitingForBind/);
    const young = pvcYaml(
      'data',
      '{backup: daily}',
      `  creationTimestamp: "${new Date(Date.now() - 60_000).toISOString()}"\n`,
    );
    assert.match((await run('render', '-f', file(`${NAMESPACE}---\n${young}`))).err, /WaitingForMinAge/);
  });

  it('shows the database verdict and the DatabaseFileCopy warning, and --strict still passes', async () => {
    const owned = pvcYaml(
      'pg-main-1',
      '{cnpg.io/cluster: pg-main}',
      '  ownerReferences: [{apiVersion: postgresql.cnpg.io/v1, kind: Cluster, name: pg-main, uid: u1}]\n',
    );
    const insisted = pvcYaml('maria-0', '{pvc.k8s.mariadb.com/role: storage, backup: daily}');
    const r = await run('render', '--strict', '-f', file(`${NAMESPACE}---\n${owned}---\n${insisted}`));
    assert.equal(r.status, 0, r.err);
    assert.match(
      r.err,
      /pg-main-1 +database +- +database: native backup expected \(operator cloudnative-pg, ownerReference postgresql\.cnpg\.io\/v1 Cluster pg-main\)/,
    );
    assert.match(r.err, /maria-0 +protected +daily/);
    assert.match(
      r.err,
      /warning: app\/maria-0: DatabaseFileCopy: database operator mariadb-operator made this PVC .*crash-consistent at best.*lifeboat\.dev\/backup-exempt-reason: database-native/,
    );
    assert.match(r.err, /2 PVCs: 1 protected, 1 database/);
    assert.deepEqual(
      objects(r.out).map((o) => `${o.kind}/${o.metadata.name}`),
      ['Secret/maria-0-volsync-secret', 'ReplicationDestination/maria-0-restore', 'ReplicationSource/maria-0-backup'],
    );
  });

  it('copies the source Secret when the input holds it (data and stringData)', async () => {
    const secret = `apiVersion: v1
kind: Secret
metadata: {name: lifeboat-repository, namespace: lifeboat-system}
data: {KOPIA_PASSWORD: ${Buffer.from('pw').toString('base64')}}
stringData: {KOPIA_REPOSITORY: "s3://bucket/volsync"}
`;
    const r = await run('render', '-f', file(`${NAMESPACE}---\n${pvcYaml('data', '{backup: daily}')}---\n${secret}`));
    assert.equal(r.status, 0, r.err);
    const data = objects(r.out).find((d) => d.kind === 'Secret')?.data ?? {};
    assert.deepEqual(
      Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
      { KOPIA_PASSWORD: 'pw', KOPIA_REPOSITORY: 's3://bucket/volsync' },
    );
    assert.doesNotMatch(r.err, /note: credential keys/);
  });

  it('reads kubectl Lists, defaults the namespace of bare manifests, and reports a missing Namespace as not opted in', async () => {
    const list = `apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: listed, labels: {backup: daily}}, spec: {resources: {requests: {storage: 1Gi}}}}
  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: ignored}}
`;
    const r = await run('render', '-n', 'elsewhere', '-f', file(list));
    assert.equal(r.status, 0, r.err);
    assert.deepEqual(objects(r.out), []);
    assert.match(r.err, /^elsewhere +listed +not-opted-in +daily +namespace elsewhere is unknown/m);
  });

  it('keeps every generated name within its limit for a 253-character PVC name', async () => {
    const name = 'n'.repeat(253);
    const r = await run('render', '-f', file(`${NAMESPACE}---\n${pvcYaml(name, '{backup: daily}')}`));
    assert.equal(r.status, 0, r.err);
    for (const d of objects(r.out)) {
      assert.ok(d.metadata.name.length <= (d.kind === 'Secret' ? 253 : 51), `${d.kind} ${d.metadata.name}`);
    }
    assert.match(r.out, /lifeboat\.dev\/pvc: pvc-[0-9a-f]{24}\n/);
  });

  it('renders restic for upstream VolSync when the config says so', async () => {
    const config = file(
      'repository: {backend: restic, url: "s3:http://minio:9000/volsync/{namespace}/{pvc}"}\n',
      'restic.yaml',
    );
    const r = await run(
      'render',
      '--volsync',
      'upstream',
      '--config',
      config,
      '-f',
      file(`${NAMESPACE}---\n${pvcYaml('data', '{backup: daily}')}`),
    );
    assert.equal(r.status, 0, r.err);
    const rs = objects(r.out).find((d) => d.kind === 'ReplicationSource');
    assert.ok(rs?.spec && 'restic' in rs.spec && !('kopia' in rs.spec));
  });

  const usage: { name: string; args: () => string[]; message: RegExp }[] = [
    { name: 'no input', args: () => ['render'], message: /needs at least one -f/ },
    {
      name: 'a missing file',
      args: () => ['render', '-f', join(scratch, 'absent.yaml')],
      message: /cannot read .*absent\.yaml: ENOENT/,
    },
    {
      name: 'an empty directory',
      args: () => {
        mkdirSync(join(scratch, 'empty'), { recursive: true });
        return ['render', '-f', join(scratch, 'empty')];
      },
      message: /holds no \*\.yaml/,
    },
    {
      name: 'broken YAML',
      args: () => ['render', '-f', file('kind: List\nitems: [\n')],
      message: /input-\d+\.yaml: line 3, column 1: Flow sequence .*\n {4}items: \[\n {4}\n {4}\^\n/,
    },
    {
      name: 'a PVC without a name',
      args: () => ['render', '-f', file('apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {}\n')],
      message: /PersistentVolumeClaim has no metadata\.name/,
    },
    {
      name: 'a PVC listed twice',
      args: () => {
        const f = file(pvcYaml('twice', '{}'));
        return ['render', '-f', f, '-f', f];
      },
      message: /app\/twice appears twice/,
    },
    {
      name: 'an invalid config',
      args: () => [
        'render',
        '--config',
        file('tiers: {hourly: {trigger: {schedule: "H *"}}}', 'bad.yaml'),
        '-f',
        EXAMPLES,
      ],
      message: /invalid lifeboat config .*bad\.yaml: 2 problems\n {2}- tiers\.hourly\.trigger\.schedule: /,
    },
    {
      name: 'a missing config',
      args: () => ['render', '--config', join(scratch, 'none.yaml'), '-f', EXAMPLES],
      message: /cannot read config .*none\.yaml/,
    },
    {
      name: 'kopia on upstream VolSync',
      args: () => ['render', '--volsync', 'upstream', '-f', EXAMPLES],
      message: /no kopia mover: install the perfectra1n\/volsync fork/,
    },
    {
      name: 'an unknown VolSync flavour',
      args: () => ['render', '--volsync', 'fork', '-f', EXAMPLES],
      message: /unknown --volsync "fork": use kopia-fork or upstream/,
    },
    { name: 'an unknown option', args: () => ['render', '--frobnicate', '-f', EXAMPLES], message: /unknown option/ },
  ];
  for (const c of usage) {
    it(`exits 1 on ${c.name}`, async () => {
      const r = await run(...c.args());
      assert.equal(r.status, 1, r.err);
      assert.match(r.err, c.message);
      assert.equal(r.out, '');
    });
  }

  it('documents input, assumptions and exit statuses in its help, and is listed by lifeboat --help', async () => {
    const help = await run('render', '--help');
    assert.equal(help.status, 0);
    for (const topic of [
      /-f, --filename <path>/,
      /--as-new/,
      /credentials-from/,
      /Exit status:\n {2}0 [\s\S]*\n {2}1 {2}usage[\s\S]*\n {2}4 {2}with --strict[\s\S]*invalid/,
    ]) {
      assert.match(help.out, topic);
    }
    assert.match((await run('--help')).out, /render \[options\] +print the VolSync objects/);
  });

  it('reads manifests from stdin with -f -', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'src/cli/main.ts'), 'render', '-f', '-'], {
      input: `${NAMESPACE}---\n${pvcYaml('piped', '{backup: weekly}')}`,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      objects(r.stdout).map((d) => d.metadata.name),
      ['piped-volsync-secret', 'piped-restore', 'piped-backup'],
    );
    assert.match(r.stderr, /app +piped +protected +weekly/);
  });
});

describe('lifeboat render --strict (process): what GitOps users need caught', () => {
  const strict = (...args: string[]) => spawnCli(['render', '--strict', ...args]);
  const render = (...args: string[]) => spawnCli(['render', ...args]);
  const app = (name: string) => pvcYaml(name, '{backup: daily}');

  it('fails on a labelled PVC whose namespace is not in the input, and says how to state the opt-in', async () => {
    const input = file(app('data'));
    const warned = await render('-f', input);
    assert.equal(warned.status, EXIT.ok, warned.err);
    const warning =
      'warning: app/data: labelled backup=daily but would get no backup: namespace app is unknown, so it cannot have ' +
      "opted in (existing backup objects are kept). Add its Namespace to the input, or, when the cluster's namespace " +
      'is annotated volsync.backube/privileged-movers: "true", pass --assume-opted-in or --namespace-annotations ' +
      'app:volsync.backube/privileged-movers=true\n';
    assert.ok(warned.err.includes(warning), warned.err);
    const failed = await strict('-f', input);
    assert.equal(failed.status, EXIT.findings);
    assert.ok(failed.err.includes(warning));
    assert.match(failed.err, /\n--strict: 1 finding \(invalid PVCs and warnings above\)\n$/);

    const assumed = await strict('-f', input, '--assume-opted-in');
    assert.equal(assumed.status, EXIT.ok, assumed.err);
    assert.match(assumed.err, /^app +data +protected +daily /m);
    assert.match(assumed.err, /^note: namespace app is not in the input; assumed opted in \(--assume-opted-in\)$/m);
    assert.deepEqual(
      objects(assumed.out).map((d) => d.kind),
      ['Secret', 'ReplicationDestination', 'ReplicationSource'],
    );
    const annotated = await strict(
      '-f',
      input,
      '--namespace-annotations',
      'app:volsync.backube/privileged-movers=true',
    );
    assert.equal(annotated.status, EXIT.ok, annotated.err);
    // An annotation other than the opt-in does not opt the namespace in.
    const other = await strict('-f', input, '--namespace-annotations', 'app:example.com/team=media');
    assert.equal(other.status, EXIT.findings);
    const malformed = await strict('-f', input, '--namespace-annotations', 'app');
    assert.equal(malformed.status, EXIT.usage);
    assert.match(malformed.err, /^error: --namespace-annotations "app" is not <namespace>:<key>=<value>/);
  });

  it('fails on a labelled PVC in a Namespace of the input that has not opted in', async () => {
    const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n';
    const r = await strict('-f', file(`${namespace}---\n${app('data')}`), '--assume-opted-in');
    assert.equal(r.status, EXIT.findings);
    assert.match(
      r.err,
      /warning: app\/data: labelled backup=daily but would get no backup: namespace app has not opted in/,
    );
  });

  it('fails on a PVC name the API server would reject, and states the hashed names it generated', async () => {
    const long = 'a'.repeat(300);
    const r = await strict('-f', file(`${NAMESPACE}---\n${app(long)}`));
    assert.equal(r.status, EXIT.findings);
    assert.ok(
      r.err.includes(
        `warning: app/${long}: PersistentVolumeClaim name (300 characters) would be rejected by the API server ` +
          "(lower-case letters, digits, '-' and '.', at most 253 characters)\n",
      ),
    );
    // 253 characters are accepted; the names that had to be shortened are said, with what the template gave.
    const fits = 'n'.repeat(253);
    const ok = await strict('-f', file(`${NAMESPACE}---\n${app(fits)}`));
    assert.equal(ok.status, EXIT.ok, ok.err);
    const source = objects(ok.out).find((d) => d.kind === 'ReplicationSource')?.metadata.name ?? '';
    assert.match(source, /^n+-[0-9a-f]{10}$/);
    assert.ok(
      ok.err.includes(
        `note: app/${fits}: ReplicationSource name shortened with a hash to fit its limit (51 characters): ${source} ` +
          '(the template gives 260 characters)\n',
      ),
      ok.err,
    );
  });

  it('fails on an input without any Kubernetes object: a shell script, an empty file, an empty stdin', async () => {
    const script = file('#!/bin/sh\necho restoring\nkubectl apply -f apps/\n', 'restore.sh');
    const empty = file('', 'empty.yaml');
    for (const path of [script, empty]) {
      const warned = await render('-f', path);
      assert.equal(warned.status, EXIT.ok);
      assert.ok(
        warned.err.includes(
          `warning: ${path}: holds no Kubernetes object (no document with apiVersion and kind): is it the right file?\n`,
        ),
        warned.err,
      );
      assert.equal((await strict('-f', path)).status, EXIT.findings);
    }
    const stdin = await spawnCli(['render', '--strict', '-f', '-'], { input: '' });
    assert.equal(stdin.status, EXIT.findings);
    assert.match(stdin.err, /warning: stdin: holds no Kubernetes object/);
  });

  it("keeps README's main command working: the examples render with status 0, and --strict fails only on the typo", async () => {
    const r = await spawnCli(['render', '-f', 'examples/']);
    assert.equal(r.status, EXIT.ok, r.err);
    assert.doesNotMatch(r.err, /^warning:/m);
    assert.match(r.err, /^6 PVCs: 4 protected, 1 invalid, 1 exempt$/m);
    const s = await spawnCli(['render', '--strict', '-f', 'examples/', '--config', 'examples/lifeboat.yaml']);
    assert.equal(s.status, EXIT.findings);
    assert.match(s.err, /^media +podcast-downloads +invalid /m);
    assert.match(s.err, /\n--strict: 1 finding /);
  });

  it('prints the objects as one v1 List with -o json', async () => {
    const r = await render('-f', 'examples/', '-o', 'json');
    assert.equal(r.status, EXIT.ok, r.err);
    const list = JSON.parse(r.out) as { kind: string; items: { kind: string }[] };
    assert.equal(list.kind, 'List');
    assert.deepEqual([...new Set(list.items.map((i) => i.kind))].sort(), [
      'KopiaMaintenance',
      'ReplicationDestination',
      'ReplicationSource',
      'Secret',
    ]);
  });
});
