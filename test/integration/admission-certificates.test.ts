/**
 * The webhook certificates Secret on the real API server: replicas racing to create and renew it (optimistic
 * concurrency, no fight), a deleted or damaged Secret, every replica following a rotation, and cert-manager mode.
 * Each replica has its own informer cache, as each process has: changes reach it through its watch of the Secret.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type CertificateMaterial,
  type CertificateOptions,
  WebhookCertificates,
} from '../../src/admission/certificates.ts';
import { createAuthority, issueCertificate, splitCertificates } from '../../src/admission/pki.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { InformerCache } from '../../src/kube/informers.ts';
import { sharedControlPlane } from '../support/controlplane.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import { waitUntil } from '../support/processes.ts';

const ns = `adm-certs-${process.pid}`;
const HOUR = 3_600_000;

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

describe('webhook certificates Secret (real API server)', () => {
  let kube: KubeClient;
  const managers: WebhookCertificates[] = [];
  const caches: InformerCache[] = [];
  /** One replica's shared cache, started as the manager starts it. */
  const replicaCache = () => {
    const cache = new InformerCache(kube);
    cache.start();
    caches.push(cache);
    return cache;
  };

  const selfSigned = (secretName: string, extra: Partial<CertificateOptions> = {}) => {
    const log = memoryLogger();
    const manager = new WebhookCertificates({
      mode: 'self-signed',
      kube,
      namespace: ns,
      secretName,
      cache: replicaCache(),
      dnsNames: ['lifeboat.lifeboat-system.svc', 'lifeboat.lifeboat-system.svc.cluster.local'],
      recheckIntervalMs: 300,
      overlapMs: 1_000,
      logger: log,
      ...extra,
    } as CertificateOptions);
    managers.push(manager);
    return { manager, log };
  };

  const secret = async (name: string) =>
    await kube.get<Secret>({ apiVersion: 'v1', kind: 'Secret', name, namespace: ns });

  const decoded = (s: Secret | undefined, key: string) => Buffer.from(s?.data?.[key] ?? '', 'base64').toString('utf8');

  before(async () => {
    const { kubeConfig } = await sharedControlPlane();
    kube = new KubeClient(kubeConfig, 'lifeboat-test');
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });

  after(async () => {
    for (const m of managers) m.stop();
    await Promise.all(caches.map((c) => c.stop()));
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    kube.close();
  });

  /**
   * Clients whose `method` requests (the writes) wait until `parties` of them have arrived, so every replica has read
   * before any writes. Without it the race is left to timing: a replica that reads after the other's write just
   * adopts it, and the AlreadyExists or Conflict path goes untested.
   */
  const racingClients = (parties: number, method: 'POST' | 'PUT'): KubeClient[] => {
    let arrived = 0;
    let release!: () => void;
    const allArrived = new Promise<void>((resolve) => {
      release = resolve;
    });
    return Array.from({ length: parties }, () => {
      const http = Object.create(kube.http) as KubeClient['http'];
      http.request = (async (...args: Parameters<KubeClient['http']['request']>) => {
        if (args[0] === method) {
          if (++arrived === parties) release();
          await allArrived;
        }
        return await kube.http.request(...args);
      }) as KubeClient['http']['request'];
      return Object.assign(Object.create(kube) as KubeClient, { http });
    });
  };

  it('two replicas creating the Secret at once end up with one CA and the same serving pair', async () => {
    // Both read "no Secret" and both create: one create wins, the other gets AlreadyExists and adopts the winner's.
    const [ka, kb] = racingClients(2, 'POST');
    const a = selfSigned('race-create', { kube: ka });
    const b = selfSigned('race-create', { kube: kb });
    const [ma, mb] = await Promise.all([a.manager.sync(), b.manager.sync()]);
    assert.ok(ma && mb);
    assert.equal(ma.certPem, mb.certPem);
    assert.equal(ma.caBundlePem, mb.caBundlePem);
    const writes = [...a.log.lines, ...b.log.lines].filter((l) => l.includes('Secret written'));
    assert.equal(writes.length, 1, writes.join('\n'));
    const lost = [...a.log.lines, ...b.log.lines].filter((l) => l.includes('another replica wrote first'));
    assert.equal(lost.length, 1, 'the loser took the AlreadyExists path and re-read');
    const stored = await secret('race-create');
    assert.equal(stored?.type, 'kubernetes.io/tls');
    assert.equal(stored?.metadata.labels?.['app.kubernetes.io/managed-by'], 'lifeboat');
    assert.deepEqual(Object.keys(stored?.data ?? {}).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    const leaf = new X509Certificate(decoded(stored, 'tls.crt'));
    const ca = new X509Certificate(decoded(stored, 'ca.crt'));
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    assert.ok(leaf.checkHost('lifeboat.lifeboat-system.svc.cluster.local'));
    for (const line of [...a.log.lines, ...b.log.lines]) assert.doesNotMatch(line, /PRIVATE KEY|BEGIN/);
  });

  it('two replicas renewing at once: one write wins, the other re-reads and agrees', async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    // Creating the Secret is a POST; both renewals (PUTs) wait until both replicas planned theirs.
    const [ka, kb] = racingClients(2, 'PUT');
    const a = selfSigned('race-renew', { leafValidityMs: HOUR, now, kube: ka });
    const b = selfSigned('race-renew', { leafValidityMs: HOUR, now, kube: kb });
    const first = await a.manager.sync();
    assert.ok(first);
    await b.manager.sync();
    offset = 41 * 60_000; // past 2/3 of the hour
    const [ra, rb] = await Promise.all([a.manager.sync(), b.manager.sync()]);
    assert.ok(ra && rb);
    assert.notEqual(ra.certPem, first.certPem, 'renewed');
    assert.equal(ra.certPem, rb.certPem);
    assert.equal(ra.caBundlePem, first.caBundlePem, 'same CA: nothing to re-trust');
    const renewals = [...a.log.lines, ...b.log.lines].filter((l) => l.includes('serving certificate reached 67%'));
    assert.equal(renewals.length, 1, renewals.join('\n'));
    const lost = [...a.log.lines, ...b.log.lines].filter((l) => l.includes('another replica wrote first'));
    assert.equal(lost.length, 1, 'the loser got a 409 Conflict on its resourceVersion and re-read');
  });

  it('re-creates a deleted Secret from memory (same CA and pair) and repairs a damaged one without a new CA', async () => {
    // No loop is started: only the watch of the Secret triggers the passes after the first.
    const { manager } = selfSigned('repair', { recheckIntervalMs: 600_000, overlapMs: 1_200_000 });
    const original = await manager.sync();
    assert.ok(original);
    await kube.delete({ apiVersion: 'v1', kind: 'Secret', name: 'repair', namespace: ns });
    await waitUntil(
      'the deletion is seen and the Secret re-created',
      async () => (await secret('repair')) !== undefined,
      {
        timeoutMs: 5_000,
        intervalMs: 50,
      },
    );
    assert.equal(decoded(await secret('repair'), 'tls.crt'), original.certPem);
    assert.equal(manager.current()?.certPem, original.certPem);

    const damaged = await secret('repair');
    assert.ok(damaged?.data);
    damaged.data['tls.key'] = Buffer.from('garbage').toString('base64');
    await kube.http.request('PUT', `/api/v1/namespaces/${ns}/secrets/repair`, { body: damaged });
    await waitUntil('the damage is seen and repaired', async () => manager.current()?.certPem !== original.certPem, {
      timeoutMs: 5_000,
      intervalMs: 50,
    });
    const repaired = manager.current();
    assert.notEqual(repaired?.certPem, original.certPem, 'a new serving pair');
    assert.equal(repaired?.caBundlePem, original.caBundlePem, 'under the same CA');
    assert.notEqual(decoded(await secret('repair'), 'tls.key'), 'garbage', 'written back');
  });

  it('every replica follows a rotation through the three steps, without a restart', async () => {
    const a = selfSigned('follow');
    const b = selfSigned('follow');
    const initial = await a.manager.sync();
    assert.ok(initial);
    const seenByB: CertificateMaterial[] = [];
    b.manager.onChange((m) => {
      seenByB.push(m);
    });
    const ready = b.manager.ready();
    b.manager.start();
    // The loop's timers are unref'd (they must not keep a process alive); a ref'd timer keeps this test alive.
    let keepAlive: NodeJS.Timeout | undefined;
    const first = await Promise.race([
      ready,
      new Promise<undefined>((resolve) => {
        keepAlive = setTimeout(() => resolve(undefined), 5_000);
      }),
    ]);
    clearTimeout(keepAlive);
    assert.equal(first?.certPem, initial.certPem, 'ready() resolves with the first read');
    await a.manager.rotateCa();
    await waitUntil(
      'B sees the new bundle',
      async () => seenByB.some((m) => splitCertificates(m.caBundlePem).length === 2),
      {
        timeoutMs: 5_000,
      },
    );
    // B's own loop also advances the rotation when due (any replica may write).
    await waitUntil(
      'B serves a certificate of the new CA and the old CA is gone',
      async () => {
        const m = b.manager.current();
        return m !== undefined && m.certPem !== initial.certPem && splitCertificates(m.caBundlePem).length === 1;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const final = b.manager.current();
    assert.ok(final);
    const leaf = new X509Certificate(final.certPem);
    assert.ok(leaf.checkIssued(new X509Certificate(final.caBundlePem)));
    assert.notEqual(final.caBundlePem, initial.caBundlePem);
  });

  it('cert-manager mode: reads and hot-swaps what cert-manager writes, never writes, keeps serving when it vanishes', async () => {
    const ca = await createAuthority('cm-ca', 24 * HOUR);
    const issue = () =>
      issueCertificate(ca, { commonName: 'lifeboat', dnsNames: ['lifeboat'], usage: 'server', validForMs: HOUR });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const write = async (leaf: { certPem: string; keyPem: string }, withCa = true) =>
      await kube.apply(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'cm', namespace: ns },
          type: 'kubernetes.io/tls',
          data: {
            'tls.crt': b64(leaf.certPem),
            'tls.key': b64(leaf.keyPem),
            ...(withCa ? { 'ca.crt': b64(ca.certPem) } : {}),
          },
        },
        { force: true },
      );
    const log = memoryLogger();
    const manager = new WebhookCertificates({
      mode: 'cert-manager',
      kube,
      namespace: ns,
      secretName: 'cm',
      cache: replicaCache(),
      logger: log,
    });
    managers.push(manager);
    assert.equal(await manager.sync(), undefined, 'no Secret yet: nothing to serve, no crash');
    assert.match(log.lines.join('\n'), /cert-manager Secret does not exist/);

    // From here on the watch of the Secret brings every change; nothing calls sync().
    const changes: string[] = [];
    manager.onChange((m) => {
      changes.push(m.certPem);
    });
    const serving = (pem: string, what: string) =>
      waitUntil(what, async () => manager.current()?.certPem === pem, { timeoutMs: 5_000, intervalMs: 50 });
    const first = await issue();
    await write(first);
    await serving(first.certPem, 'the first certificate is served');
    const second = await issue();
    await write(second);
    await serving(second.certPem, 'the second certificate is hot-swapped');
    assert.deepEqual(changes, [first.certPem, second.certPem]);

    await write(await issue(), false);
    await waitUntil('the unusable Secret is seen', async () => /ca\.crt is missing/.test(log.lines.join('\n')), {
      timeoutMs: 5_000,
      intervalMs: 50,
    });
    assert.equal(manager.current()?.certPem, second.certPem, 'an unusable Secret does not replace a working pair');
    await kube.delete({ apiVersion: 'v1', kind: 'Secret', name: 'cm', namespace: ns });
    assert.equal((await manager.sync())?.certPem, second.certPem, 'a vanished Secret does not stop serving');
    assert.equal(await secret('cm'), undefined, 'cert-manager mode never writes');
    await assert.rejects(manager.rotateCa(), /belongs to cert-manager/);
  });

  it('refuses an overlap shorter than two recheck intervals', () => {
    assert.throws(
      () => selfSigned('bad', { recheckIntervalMs: 60_000, overlapMs: 60_000 }),
      /overlapMs \(60000\) must be at least two recheck intervals/,
    );
  });
});
