/**
 * `lifeboat check` and `lifeboat catalog` as the runbooks use them, through the real process: `--config` (the file
 * `lifeboat run` uses) supplies the backend and location, and the credentials come from the config's Secret through
 * the kubeconfig — against a real API server and a real restic repository written by restic itself. Also: the
 * wrong-password remedy names the password source that was actually used.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { spawnCli } from '../support/cli.ts';
import { sharedControlPlane, startControlPlane } from '../support/controlplane.ts';
import { createKopiaRepository } from '../support/kopia.ts';
import { createResticRepository, type ResticTestRepository } from '../support/restic.ts';

const SECRET_NS = 'cli-repository-creds';
const SECRET = 'restic-repo';
let dir = '';
let kubeconfig = '';
let config = '';
let kube: KubeClient;
let repo: ResticTestRepository;
let snapshot = '';

async function secretPassword(password: string): Promise<void> {
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET, namespace: SECRET_NS },
    data: { RESTIC_PASSWORD: Buffer.from(password).toString('base64') },
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-cli-repository-'));
  const plane = await sharedControlPlane();
  kubeconfig = plane.kubeconfigPath;
  kube = new KubeClient(plane.kubeConfig);
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRET_NS } });
  repo = await createResticRepository({ version: 2, on: 'fs', path: join(dir, 'repos', 'app', 'data') });
  snapshot = await repo.backup();
  config = join(dir, 'lifeboat.yaml');
  await writeFile(
    config,
    [
      'repository:',
      '  backend: restic',
      `  url: "${join(dir, 'repos')}/{namespace}/{pvc}"`,
      'credentials:',
      '  mode: copy',
      `  secretRef: { namespace: ${SECRET_NS}, name: ${SECRET} }`,
      '',
    ].join('\n'),
  );
  await secretPassword(repo.password);
});
after(async () => {
  kube.close();
  await repo?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('check and catalog with --config (process)', () => {
  it('check: backend, location and credentials from the config and its Secret, nothing else', async () => {
    const r = await spawnCli(['check', 'app/data', '--config', config, '--kubeconfig', kubeconfig]);
    assert.equal(r.status, EXIT.ok, r.err);
    assert.equal(r.err, '');
    const out = JSON.parse(r.out);
    assert.equal(out.decision, 'restore');
    assert.equal(out.repository, join(dir, 'repos', 'app', 'data'));
    assert.deepEqual(
      out.snapshots.map((s: { id: string }) => s.id),
      [snapshot],
    );
    assert.doesNotMatch(r.out, new RegExp(repo.password));
    const table = await spawnCli(['check', 'app/data', '--config', config, '--kubeconfig', kubeconfig, '-o', 'table']);
    assert.equal(table.status, EXIT.ok, table.err);
    assert.match(table.out, /^app\/data: restore\n/);
    assert.match(table.out, new RegExp(`^SNAPSHOT +TIME +SIZE\\n${snapshot} +\\d{4}-`, 'm'));
  });

  it('catalog: the same, narrowed with -n, as YAML', async () => {
    const all = await spawnCli(['catalog', '--config', config, '--kubeconfig', kubeconfig, '-n', 'app', '-o', 'yaml']);
    assert.equal(all.status, EXIT.ok, all.err);
    assert.match(all.out, /^pvcs:\n {2}- namespace: app\n {4}pvc: data\n {4}source: .*\n {4}decision: restore\n/m);
    const other = await spawnCli(['catalog', '--config', config, '--kubeconfig', kubeconfig, '-n', 'elsewhere']);
    assert.equal(other.status, EXIT.ok, other.err);
    assert.equal(other.out, 'NAMESPACE  PVC  DECISION  SNAPSHOTS  NEWEST  CAUSE\n');
    assert.match(other.err, /^no PVCs found in namespace elsewhere in /);
    const wide = await spawnCli(['catalog', '--config', config, '--kubeconfig', kubeconfig, '-o', 'wide']);
    assert.match(wide.out, /^NAMESPACE +PVC +DECISION +SNAPSHOTS +NEWEST +CAUSE +SIZE +SOURCE\napp +data +restore +1 /);
  });

  it('without a kubeconfig, uses the environment and says why the Secret was not read', async () => {
    const home = join(dir, 'home');
    const r = await spawnCli(['check', 'app/data', '--config', config], {
      env: { HOME: home, RESTIC_PASSWORD: repo.password },
    });
    assert.equal(r.status, EXIT.ok, r.err);
    assert.match(
      r.err,
      new RegExp(`^note: not reading the credentials Secret ${SECRET_NS}/${SECRET}: no kubeconfig found: looked at `),
    );
    const explicit = await spawnCli(['check', 'app/data', '--config', config, '--kubeconfig', join(dir, 'nope')]);
    assert.equal(explicit.status, EXIT.usage);
    assert.match(explicit.err, /^error: cannot read kubeconfig .*nope \(ENOENT\)\n/);
    const orphan = await spawnCli(['check', 'app/data', '--kubeconfig', kubeconfig, '--backend', 'restic']);
    assert.equal(orphan.status, EXIT.usage);
    assert.match(
      orphan.err,
      /^error: --kubeconfig and --context read the credentials Secret of a config: add --config/,
    );
  });

  it('names the password source actually used when the password is wrong', async () => {
    const remedy = (from: string) =>
      `${from} is wrong: set it to the password the repository was created with (the VolSync movers' RESTIC_PASSWORD)`;
    try {
      await secretPassword('not-the-password');
      const fromSecret = await spawnCli(['check', 'app/data', '--config', config, '--kubeconfig', kubeconfig]);
      assert.equal(fromSecret.status, EXIT.unknown);
      const secretOut = JSON.parse(fromSecret.out);
      assert.equal(secretOut.cause, 'wrong-password');
      assert.ok(
        secretOut.error.endsWith(remedy(`RESTIC_PASSWORD of the Secret ${SECRET_NS}/${SECRET}`)),
        secretOut.error,
      );
    } finally {
      await secretPassword(repo.password);
    }
    // The environment wins over the Secret per variable, and the remedy says so.
    const fromEnv = await spawnCli(['check', 'app/data', '--config', config, '--kubeconfig', kubeconfig], {
      env: { RESTIC_PASSWORD: 'also-wrong' },
    });
    assert.equal(fromEnv.status, EXIT.unknown);
    assert.ok(JSON.parse(fromEnv.out).error.endsWith(remedy('RESTIC_PASSWORD (from the environment)')));
    const file = join(dir, 'password');
    await writeFile(file, 'wrong-in-a-file\n');
    const fromFile = await spawnCli([
      'check',
      'app/data',
      '--backend',
      'restic',
      '--repository',
      join(dir, 'repos', '{namespace}', '{pvc}'),
      '--password-file',
      file,
    ]);
    assert.equal(fromFile.status, EXIT.unknown);
    const error = JSON.parse(fromFile.out).error as string;
    assert.ok(
      error.endsWith(
        `the password in --password-file ${file} is wrong: put the password the repository was created with ` +
          "(the VolSync movers' RESTIC_PASSWORD) in it",
      ),
      error,
    );
    assert.doesNotMatch(error, /from the environment|repository Secret\)/);
  });
});

describe("the runbooks' one-liners with the built-in config (process)", () => {
  // Its own API server: the default config's Secret (lifeboat-system/lifeboat-repository) is cluster-wide state.
  it('`lifeboat check <ns>/<pvc>` with nothing but a kubeconfig reads the repository named by the default Secret', async () => {
    const plane = await startControlPlane({ crds: 'none' });
    const own = new KubeClient(plane.kubeConfig);
    let kopia: Awaited<ReturnType<typeof createKopiaRepository>> | undefined;
    try {
      // A real (empty) Kopia repository: a location with no repository at all would be repository-missing.
      kopia = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: 'runbook-password' });
      const empty = kopia.repoPath ?? '';
      await own.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lifeboat-system' } });
      await own.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
        data: {
          KOPIA_PASSWORD: Buffer.from('runbook-password').toString('base64'),
          KOPIA_REPOSITORY: Buffer.from(`filesystem://${empty}`).toString('base64'),
        },
      });
      const r = await spawnCli(['check', 'shop/data'], { env: { KUBECONFIG: plane.kubeconfigPath } });
      assert.equal(r.status, EXIT.ok, r.err);
      const out = JSON.parse(r.out);
      assert.equal(out.decision, 'fresh');
      assert.equal(out.repository, `filesystem://${empty}`);
      const catalog = await spawnCli(['catalog'], { env: { KUBECONFIG: plane.kubeconfigPath } });
      assert.equal(catalog.status, EXIT.ok, catalog.err);
      assert.match(catalog.err, new RegExp(`^no PVCs found in Kopia repository filesystem://${empty},`));
      // No kubeconfig and no flags: the flags must say everything, and the message says which.
      const bare = await spawnCli(['check', 'shop/data'], { env: { HOME: join(dir, 'home') } });
      assert.equal(bare.status, EXIT.usage);
      assert.match(bare.err, /^error: --backend is required: kopia/);
    } finally {
      own.close();
      await plane.stop();
      await kopia?.cleanup();
    }
  });
});
