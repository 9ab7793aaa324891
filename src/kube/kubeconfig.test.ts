import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeconfigError, mergeKubeconfigs, SimpleKubeConfig } from './kubeconfig.ts';

let dir: string;
const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'c',
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
    clusters: [
      { name: 'k', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA'), ...cluster } },
    ],
    users: [{ name: 'u', user }],
  });
}

async function load(text: string) {
  const path = join(dir, `kc-${Math.random().toString(16).slice(2)}`);
  await writeFile(path, text);
  return SimpleKubeConfig.load(path);
}

describe('SimpleKubeConfig', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-kc-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads inline client certificates and the CA', async () => {
    const kc = await load(kubeconfig({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }));
    const opts: RequestOptions = {};
    await kc?.applyToHTTPSOptions(opts);
    assert.equal(kc?.getCurrentCluster().server, 'https://127.0.0.1:6443');
    assert.equal(String(opts.ca), 'CA');
    assert.equal(String(opts.cert), 'CERT');
    assert.equal(String(opts.key), 'KEY');
  });

  it('re-reads a token file on every request (rotation), relative to the kubeconfig', async () => {
    await writeFile(join(dir, 'token'), 'first\n');
    const kc = await load(kubeconfig({ tokenFile: 'token' }));
    const a: RequestOptions = {};
    await kc?.applyToHTTPSOptions(a);
    assert.equal((a.headers as Record<string, string>).Authorization, 'Bearer first');
    await writeFile(join(dir, 'token'), 'second');
    const b: RequestOptions = {};
    await kc?.applyToHTTPSOptions(b);
    assert.equal((b.headers as Record<string, string>).Authorization, 'Bearer second');
  });

  it('hands exec plugins and auth providers to the full library (returns undefined)', async () => {
    assert.equal(await load(kubeconfig({ exec: { command: 'kubelogin' } })), undefined);
    assert.equal(await load(kubeconfig({ 'auth-provider': { name: 'oidc' } })), undefined);
    assert.equal(await load(kubeconfig({ token: 't' }, { 'proxy-url': 'http://127.0.0.1:3128' })), undefined);
  });

  it('names the problem when there is no usable context', async () => {
    await assert.rejects(load(JSON.stringify({ contexts: [] })), /has no current-context/);
    const missing = JSON.stringify({ 'current-context': 'x', contexts: [] });
    await assert.rejects(load(missing), /context "x" is not defined/);
  });

  it('merges several files like kubectl: first definition and first current-context win, paths relative to their file', async () => {
    const a = join(dir, 'merge-a');
    const b = join(dir, 'merge-b');
    await mkdir(a);
    await mkdir(b);
    await writeFile(join(b, 'token'), 'from-b\n');
    await writeFile(
      join(a, 'config'),
      JSON.stringify({
        'current-context': 'one',
        contexts: [{ name: 'one', context: { cluster: 'k', user: 'u' } }],
        clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1' } }],
      }),
    );
    await writeFile(
      join(b, 'config'),
      JSON.stringify({
        'current-context': 'two',
        contexts: [
          { name: 'one', context: { cluster: 'other', user: 'other' } },
          { name: 'two', context: { cluster: 'k', user: 'u' } },
        ],
        clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:2' } }],
        users: [{ name: 'u', user: { tokenFile: 'token' } }],
      }),
    );
    const merged = mergeKubeconfigs([join(a, 'config'), join(b, 'config')]);
    assert.equal(merged.currentContext, 'one');
    assert.deepEqual([...merged.contexts.keys()], ['one', 'two']);
    const kc = SimpleKubeConfig.fromMerged(merged);
    assert.equal(kc?.server, 'https://127.0.0.1:1');
    const opts: RequestOptions = {};
    await kc?.applyToHTTPSOptions(opts);
    assert.equal((opts.headers as Record<string, string>).Authorization, 'Bearer from-b');
    assert.throws(() => SimpleKubeConfig.fromMerged(merged, 'three'), KubeconfigError);
    assert.throws(() => mergeKubeconfigs([join(dir, 'absent')]), /cannot read kubeconfig .*absent \(ENOENT\)/);
  });
});
