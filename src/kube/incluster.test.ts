import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InClusterConfig } from './incluster.ts';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sa-'));
writeFileSync(join(dir, 'token'), 'token-1\n');
writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
writeFileSync(join(dir, 'namespace'), 'lifeboat-system');
after(() => rmSync(dir, { recursive: true, force: true }));

const env = { KUBERNETES_SERVICE_HOST: '203.0.113.1', KUBERNETES_SERVICE_PORT: '443' };

describe('InClusterConfig', () => {
  it('reads the server from the environment and the namespace from the service account', () => {
    const config = new InClusterConfig({ env, dir });
    assert.equal(config.getCurrentCluster().server, 'https://203.0.113.1:443');
    assert.equal(config.namespace, 'lifeboat-system');
    assert.equal(
      new InClusterConfig({
        env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
        dir,
      }).getCurrentCluster().server,
      'https://[fd00::1]:443',
    );
  });

  it('is unavailable outside a pod', () => {
    assert.equal(InClusterConfig.available({}, dir), false);
    assert.equal(InClusterConfig.available(env, join(dir, 'missing')), false);
    assert.equal(InClusterConfig.available(env, dir), true);
    assert.throws(() => new InClusterConfig({ env: {}, dir }), /not running in a pod/);
  });

  it('sends the token and the CA, and re-reads the rotating token after a minute', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const config = new InClusterConfig({ env, dir });
    const options = async () => {
      const o: https.RequestOptions = { headers: { accept: 'application/json' } };
      await config.applyToHTTPSOptions(o);
      return o;
    };
    const first = await options();
    assert.deepEqual(first.headers, { accept: 'application/json', authorization: 'Bearer token-1' });
    assert.equal(String(first.ca), 'CA PEM');
    writeFileSync(join(dir, 'token'), 'token-2\n');
    t.mock.timers.tick(59_999);
    assert.equal(((await options()).headers as Record<string, string>).authorization, 'Bearer token-1');
    t.mock.timers.tick(1);
    assert.equal(((await options()).headers as Record<string, string>).authorization, 'Bearer token-2');
  });
});
