import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { renderManifests } from '../deploy/manifests.ts';
import { resolveValues } from '../deploy/values.ts';
import type { KubeObject } from '../kube/client.ts';
import { runCli } from './program.ts';

async function run(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
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

const objects = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);

const examples = new URL('../../examples/lifeboat.yaml', import.meta.url).pathname;

/** A scratch directory for one test, removed after it. */
function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-manifests-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('lifeboat manifests', () => {
  it('prints the generator’s objects, Namespace first, each RBAC rule with its reason', async () => {
    const { status, out, err } = await run('manifests');
    assert.equal(status, 0, err);
    const expected = renderManifests(resolveValues(), { namespace: 'lifeboat-system', includeNamespace: true });
    assert.deepEqual(
      objects(out),
      expected.map((r) => JSON.parse(JSON.stringify(r.object))),
    );
    assert.equal(objects(out)[0]?.kind, 'Namespace');
    assert.match(out, /^ {2}# The input: the controller caches every PVC/m);
    assert.match(out, /^# lifeboat \d+\.\d+\.\d+, namespace lifeboat-system: rendered by `lifeboat manifests`\.$/m);
  });

  it('--config takes the namespace and settings of a config file: the example mounts its NFS repository', async () => {
    const { status, out, err } = await run('manifests', '--config', examples);
    assert.equal(status, 0, err);
    const deployment = objects(out).find((o) => o.kind === 'Deployment');
    assert.match(
      JSON.stringify(deployment),
      /"nfs":\{"server":"nas\.example\.com","path":"\/export\/volsync","readOnly":true\}/,
    );
    assert.ok(
      objects(out).every(
        (o) => o.kind === 'Namespace' || !o.metadata.namespace || o.metadata.namespace === 'lifeboat-system',
      ),
    );
  });

  it('--namespace and --no-namespace-object; values files merge in order', async (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, 'a.yaml'), 'replicaCount: 3\nlogLevel: warn\n');
    writeFileSync(join(dir, 'b.yaml'), 'replicaCount: 4\n');
    const { status, out, err } = await run(
      'manifests',
      '-n',
      'backup',
      '--no-namespace-object',
      '-f',
      join(dir, 'a.yaml'),
      '-f',
      join(dir, 'b.yaml'),
    );
    assert.equal(status, 0, err);
    const printed = objects(out);
    assert.ok(printed.every((o) => o.kind !== 'Namespace'));
    const deployment = printed.find((o) => o.kind === 'Deployment') as KubeObject & {
      spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } } };
    };
    assert.equal(deployment.spec.replicas, 4);
    assert.deepEqual(deployment.spec.template.spec.containers[0]?.args.slice(-2), ['--log-level', 'warn']);
    assert.equal(deployment.metadata.namespace, 'backup');
  });

  it('exits 1 with the reason for a misspelt setting, an invalid config or an unreadable file', async (t) => {
    const dir = scratch(t);
    writeFileSync(join(dir, 'typo.yaml'), 'serviceMonitor:\n  enable: true\n');
    writeFileSync(join(dir, 'config.yaml'), 'minPvcAge: soon\n');
    const cases: [string[], RegExp][] = [
      [['-f', join(dir, 'typo.yaml')], /serviceMonitor\.enable: unknown setting/],
      [['--config', join(dir, 'config.yaml')], /minPvcAge/],
      [['--config', join(dir, 'missing.yaml')], /cannot read config .*missing\.yaml: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const { status, out, err } = await run('manifests', ...args);
      assert.equal(status, 1, err);
      assert.equal(out, '');
      assert.match(err, message);
    }
  });
});
