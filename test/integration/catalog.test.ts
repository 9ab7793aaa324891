/**
 * The catalog, its decisions, the HTTP API and the `check` / `catalog` commands against real repositories written by
 * the real kopia (v0.21.1) and restic (v0.18.1) binaries, on the local file system and on a real MinIO server.
 *
 * Expected values come from the binaries themselves (`kopia snapshot list --all --json`, `restic snapshots --json`),
 * never from lifeboat's own readers.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Catalog } from '../../src/catalog/catalog.ts';
import { decide } from '../../src/decision/decide.ts';
import { type CatalogServer, createCatalogServer } from '../../src/http/server.ts';
import { kopiaSource } from '../../src/mover/kopia/catalog-source.ts';
import { parseKopiaLocation } from '../../src/mover/kopia/reader/location.ts';
import { resticSource } from '../../src/mover/restic/catalog-source.ts';
import type { RepositoryCredentials } from '../../src/repository/credentials.ts';
import type { CatalogSource } from '../../src/repository/source.ts';
import { runWithEnv } from '../support/cli.ts';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { freePort } from '../support/processes.ts';
import { createResticRepository, type ResticTestRepository } from '../support/restic.ts';
import { type S3Server, startS3Server } from '../support/s3server.ts';

const KOPIA_PW = 'kopia-pw-ünïcode-never-print';
const RESTIC_PW = 'restic-pw-never-print';
const WRONG_PW = 'wrong-pw-never-print';

let work = '';
let s3: S3Server;
let kopiaFs: KopiaTestRepository;
let kopiaS3: KopiaTestRepository;
/** restic repositories by name, all below one template base per backend. */
const restic = new Map<string, ResticTestRepository>();
let resticFsBase = '';
let resticS3Template = '';
const cleanups: (() => Promise<void>)[] = [];

const at = (iso: string) => new Date(iso);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lifeboat-catalog-it-'));
  s3 = await startS3Server();
  cleanups.push(() => s3.stop());

  // Kopia on the file system: two PVCs under the default identity, one under another convention, a stranger's
  // source, and a PVC whose only snapshot is an interrupted checkpoint.
  kopiaFs = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: KOPIA_PW });
  cleanups.push(() => kopiaFs.cleanup());
  const dir = await makeSourceDir(work, 'vol', { 'file.txt': 'hello' });
  await kopiaFs.snapshot({ source: 'data-pvc-backup@karakeep:/data', dir, startTime: at('2026-04-01T02:00:00Z') });
  await kopiaFs.snapshot({ source: 'data-pvc-backup@karakeep:/data', dir, startTime: at('2026-04-02T02:00:00Z') });
  await kopiaFs.snapshot({ source: 'db-backup@team-a:/data', dir, startTime: at('2026-04-03T02:00:00Z') });
  await kopiaFs.snapshot({ source: 'v4pvc@team-a:/data', dir, startTime: at('2026-04-04T02:00:00Z') });
  await kopiaFs.snapshot({ source: 'someone@laptop:/home', dir });
  await kopiaFs.checkpoint('half-backup@karakeep:/data');

  // Kopia on S3 under the VolSync fork's `prefix/` convention.
  kopiaS3 = await createKopiaRepository({
    password: KOPIA_PW,
    backend: {
      kind: 's3',
      endpoint: s3.endpoint,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      region: s3.region,
      bucket: s3.bucket,
      prefix: 'kopia/',
    },
  });
  cleanups.push(() => kopiaS3.cleanup());
  await kopiaS3.snapshot({ source: 'app-backup@shop:/data', dir, startTime: at('2026-03-01T01:00:00Z') });

  // restic, one repository per PVC: v1 and v2, on the file system (`<base>/{namespace}-{pvc}`) and on S3
  // (`…/restic/{namespace}/{pvc}`).
  resticFsBase = join(work, 'restic');
  await mkdir(resticFsBase);
  resticS3Template = `s3:${s3.endpoint}/${s3.bucket}/restic/{namespace}/{pvc}`;
  const make = async (name: string, on: 'fs' | 's3', version: 1 | 2, path: string) => {
    const repo = await createResticRepository({
      on,
      version,
      password: RESTIC_PW,
      path,
      ...(on === 's3' ? { server: s3 } : {}),
    });
    cleanups.push(() => repo.cleanup());
    restic.set(name, repo);
    return repo;
  };
  for (const [on, version] of [
    ['fs', 1],
    ['fs', 2],
    ['s3', 1],
    ['s3', 2],
  ] as const) {
    const path = (pvc: string) => (on === 'fs' ? join(resticFsBase, `karakeep-${pvc}`) : `restic/karakeep/${pvc}`);
    const repo = await make(`${on}-v${version}`, on, version, path(`v${version}`));
    await repo.backup({ time: '2026-04-01 02:00:00' });
    await repo.backup({ time: '2026-04-02 02:00:00' });
    // Not VolSync's mover: never a restore point.
    await repo.backup({ time: '2026-04-03 02:00:00', host: 'laptop' });
  }
  await make('fs-empty', 'fs', 2, join(resticFsBase, 'karakeep-empty'));
  await make('s3-empty', 's3', 2, 'restic/karakeep/empty');
  const foreign = await make('fs-foreign', 'fs', 2, join(resticFsBase, 'karakeep-foreign'));
  await foreign.backup({ host: 'laptop' });
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await rm(work, { recursive: true, force: true });
});

const s3Credentials = () => ({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
const s3Port = () => s3.endpoint.replace(/^http:\/\//, '');

function kopiaFsSource(password = KOPIA_PW, identity?: string): CatalogSource {
  return kopiaSource({
    location: { kind: 'filesystem', path: kopiaFs.repoPath as string },
    credentials: async () => ({ password }),
    ...(identity ? { identity } : {}),
  });
}

function kopiaS3Source(password = KOPIA_PW, endpoint = s3Port()): CatalogSource {
  return kopiaSource({
    location: parseKopiaLocation(`s3://${s3.bucket}/kopia`, { endpoint, disableTls: true }),
    credentials: async () => ({ password, s3: s3Credentials() }),
  });
}

function resticFsSource(password = RESTIC_PW): CatalogSource {
  return resticSource({ repository: `${resticFsBase}/{namespace}-{pvc}`, credentials: async () => ({ password }) });
}

function resticS3Source(password = RESTIC_PW, template = resticS3Template): CatalogSource {
  return resticSource({ repository: template, credentials: async () => ({ password, s3: s3Credentials() }) });
}

async function decisionOf(source: CatalogSource, namespace: string, pvc: string) {
  const catalog = new Catalog({ source });
  try {
    if (!source.perPvcRepositories) await catalog.refresh();
    const facts = await catalog.lookup({ namespace, pvc });
    return decide({ facts, nowMs: catalog.now(), staleAfterMs: catalog.staleAfterMs });
  } finally {
    await catalog.stop();
    source.close();
  }
}

/** restic's own list of VolSync restore points, newest first. */
async function resticVolSyncIds(name: string): Promise<string[]> {
  const repo = restic.get(name);
  assert.ok(repo);
  return (await repo.snapshots())
    .filter((s) => s.hostname === 'volsync' && s.paths.includes('/data'))
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
    .map((s) => s.id);
}

describe('Kopia: one shared repository', () => {
  it('restores from the newest complete snapshot of the PVC source, as kopia lists it (filesystem)', async () => {
    const expected = (await kopiaFs.listSnapshots())
      .filter((s) => `${s.source.userName}@${s.source.host}:${s.source.path}` === 'data-pvc-backup@karakeep:/data')
      .sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime));
    const d = await decisionOf(kopiaFsSource(), 'karakeep', 'data-pvc');
    assert.equal(d.decision, 'restore');
    assert.deepEqual(
      d.snapshots.map((s) => s.id),
      expected.map((s) => s.id),
    );
    assert.equal(d.newest?.time, '2026-04-02T02:00:00.000Z');
  });

  it('restores on S3 with the fork prefix convention', async () => {
    const d = await decisionOf(kopiaS3Source(), 'shop', 'app');
    assert.equal(d.decision, 'restore');
    assert.equal(d.newest?.id, (await kopiaS3.listSnapshots())[0]?.id);
  });

  it('says fresh for a PVC with no source in a readable repository (filesystem and S3)', async () => {
    assert.equal((await decisionOf(kopiaFsSource(), 'karakeep', 'brand-new')).cause, 'no-snapshots');
    assert.equal((await decisionOf(kopiaS3Source(), 'shop', 'brand-new')).decision, 'fresh');
  });

  it('never counts an interrupted checkpoint as a restore point', async () => {
    const d = await decisionOf(kopiaFsSource(), 'karakeep', 'half');
    assert.equal(d.decision, 'unknown');
    assert.equal(d.cause, 'only-incomplete-snapshots');
    // The writer is killed once its first checkpoint is visible; under load it may have written a second one by then.
    // Either way the catalog reports exactly the checkpoints kopia itself lists.
    const listed = (await kopiaFs.listSnapshots()).filter(
      (s) => s.incomplete === 'checkpoint' && s.source.userName === 'half-backup' && s.source.host === 'karakeep',
    );
    assert.ok(listed.length >= 1, 'the fixture left a checkpoint');
    assert.equal(d.checkpoints.length, listed.length);
  });

  it('follows the identity template: {pvc}@{namespace}:/data is one setting away', async () => {
    assert.equal(
      (await decisionOf(kopiaFsSource(KOPIA_PW, '{pvc}@{namespace}:/data'), 'team-a', 'v4pvc')).decision,
      'restore',
    );
    // Under the default template its snapshots are a drifted identity: never "fresh" while they are there.
    const drifted = await decisionOf(kopiaFsSource(), 'team-a', 'v4pvc');
    assert.equal(drifted.decision, 'unknown');
    assert.equal(drifted.cause, 'identity-mismatch');
    assert.match(drifted.message, /source v4pvc@team-a:\/data/);
  });

  it('says unknown (wrong-password) with a wrong password, for known and unknown PVCs alike', async () => {
    for (const [source, pvc] of [
      [kopiaFsSource(WRONG_PW), 'data-pvc'],
      [kopiaFsSource(WRONG_PW), 'brand-new'],
      [kopiaS3Source(WRONG_PW), 'app'],
    ] as const) {
      const d = await decisionOf(source, pvc === 'app' ? 'shop' : 'karakeep', pvc);
      assert.equal(d.decision, 'unknown');
      assert.equal(d.cause, 'wrong-password');
    }
  });

  it('says unknown when the storage is unreachable', async () => {
    const closed = await freePort();
    const d = await decisionOf(kopiaS3Source(KOPIA_PW, `127.0.0.1:${closed}`), 'shop', 'app');
    assert.equal(d.decision, 'unknown');
    assert.equal(d.cause, 'repository-unreachable');
  });

  it('says unknown (repository-missing) for a reachable location without the shared repository', async () => {
    const empty = join(work, 'kopia-empty');
    await mkdir(empty);
    const source = kopiaSource({
      location: { kind: 'filesystem', path: empty },
      credentials: async () => ({ password: KOPIA_PW }),
    });
    const d = await decisionOf(source, 'karakeep', 'data-pvc');
    assert.equal(d.decision, 'unknown');
    assert.equal(d.cause, 'repository-missing');
  });

  it('lists every PVC source and reports the sources that do not follow the template', async () => {
    const source = kopiaFsSource();
    const catalog = new Catalog({ source });
    await catalog.refresh();
    assert.deepEqual(
      catalog.pvcs().map((r) => `${r.namespace}/${r.pvc}`),
      ['karakeep/data-pvc', 'karakeep/half', 'team-a/db'],
    );
    assert.deepEqual(catalog.unmatchedSources(), ['someone@laptop:/home', 'v4pvc@team-a:/data']);
    await catalog.stop();
    source.close();
  });
});

describe('restic: one repository per PVC', () => {
  for (const [name, source] of [
    ['fs-v1', () => resticFsSource()],
    ['fs-v2', () => resticFsSource()],
    ['s3-v1', () => resticS3Source()],
    ['s3-v2', () => resticS3Source()],
  ] as const) {
    it(`restores from VolSync's newest snapshot, ignoring other hosts (${name})`, async () => {
      const pvc = name.slice(-2);
      const d = await decisionOf(source(), 'karakeep', pvc);
      assert.equal(d.decision, 'restore');
      assert.deepEqual(
        d.snapshots.map((s) => s.id),
        await resticVolSyncIds(name),
      );
      assert.equal(d.newest?.time, '2026-04-02T02:00:00.000Z');
      assert.equal(d.snapshots.length, 2);
    });
  }

  it('says fresh for a missing repository and for an initialised one without snapshots (fs and S3)', async () => {
    assert.equal((await decisionOf(resticFsSource(), 'karakeep', 'never')).cause, 'repository-not-found');
    assert.equal((await decisionOf(resticS3Source(), 'karakeep', 'never')).cause, 'repository-not-found');
    assert.equal((await decisionOf(resticFsSource(), 'karakeep', 'empty')).cause, 'no-snapshots');
    assert.equal((await decisionOf(resticS3Source(), 'karakeep', 'empty')).cause, 'no-snapshots');
    const foreign = await decisionOf(resticFsSource(), 'karakeep', 'foreign');
    assert.equal(foreign.decision, 'fresh', 'snapshots of another host are not VolSync backups of this PVC');
  });

  it('says unknown with a wrong password (fs and S3), never fresh', async () => {
    assert.equal((await decisionOf(resticFsSource(WRONG_PW), 'karakeep', 'v2')).cause, 'wrong-password');
    assert.equal((await decisionOf(resticS3Source(WRONG_PW), 'karakeep', 'v1')).cause, 'wrong-password');
  });

  it('says unknown when the bucket is missing or the endpoint unreachable', async () => {
    const noBucket = resticS3Source(RESTIC_PW, `s3:${s3.endpoint}/no-such-bucket/restic/{namespace}/{pvc}`);
    const d = await decisionOf(noBucket, 'karakeep', 'v2');
    assert.equal(d.decision, 'unknown');
    const closed = await freePort();
    const down = await decisionOf(
      resticS3Source(RESTIC_PW, `s3:http://127.0.0.1:${closed}/b/{namespace}/{pvc}`),
      'karakeep',
      'v2',
    );
    assert.equal(down.cause, 'repository-unreachable');
  });

  it('discovers every repository below the template base, with health per repository', async () => {
    for (const source of [resticFsSource(), resticS3Source()]) {
      const catalog = new Catalog({ source, concurrency: 2 });
      const report = await catalog.refresh();
      assert.equal(report.result, 'success');
      const names = catalog.pvcs().map((r) => `${r.namespace}/${r.pvc}`);
      const expected =
        source.backend === 's3'
          ? ['karakeep/empty', 'karakeep/v1', 'karakeep/v2']
          : ['karakeep/empty', 'karakeep/foreign', 'karakeep/v1', 'karakeep/v2'];
      assert.deepEqual(names, expected);
      assert.ok(catalog.health().every((h) => h.healthy));
      await catalog.stop();
      source.close();
    }
  });

  it('keeps one broken repository from affecting the others', async () => {
    let password = RESTIC_PW;
    const source = resticSource({
      repository: `${resticFsBase}/{namespace}-{pvc}`,
      credentials: async () => ({ password }),
    });
    const v1 = restic.get('fs-v1');
    assert.ok(v1);
    await v1.addKey('second-key');
    const catalog = new Catalog({ source });
    password = 'second-key';
    const report = await catalog.refresh();
    assert.equal(report.result, 'partial', 'only fs-v1 knows the second key');
    const ask = async (pvc: string) =>
      decide({
        facts: await catalog.lookup({ namespace: 'karakeep', pvc }),
        nowMs: catalog.now(),
        staleAfterMs: catalog.staleAfterMs,
      });
    assert.equal((await ask('v1')).decision, 'restore');
    assert.equal((await ask('v2')).cause, 'wrong-password');
    await catalog.stop();
    source.close();
  });
});

describe('catalog freshness over a real repository', () => {
  it('keeps a good view on failing refreshes until the staleness bound, then answers unknown', async () => {
    const clock = new ManualClock(Date.parse('2026-05-01T00:00:00Z'));
    let password = KOPIA_PW;
    const source = kopiaSource({
      location: { kind: 'filesystem', path: kopiaFs.repoPath as string },
      credentials: async (): Promise<RepositoryCredentials> => ({ password }),
    });
    const catalog = new Catalog({ source, clock, staleAfterMs: 300_000 });
    const ask = async () =>
      decide({
        facts: await catalog.lookup({ namespace: 'karakeep', pvc: 'data-pvc' }),
        nowMs: clock.now(),
        staleAfterMs: catalog.staleAfterMs,
      });
    await catalog.refresh();
    assert.equal((await ask()).decision, 'restore');
    clock.advance(300_001);
    assert.equal((await ask()).cause, 'catalog-stale');
    await catalog.refresh();
    assert.equal((await ask()).decision, 'restore');
    password = WRONG_PW;
    clock.advance(60_000);
    await catalog.refresh();
    assert.equal((await ask()).decision, 'restore', 'the previous good view still answers within the bound');
    clock.advance(240_001);
    const d = await ask();
    assert.equal(d.decision, 'unknown');
    assert.equal(d.cause, 'wrong-password');
    await catalog.stop();
    source.close();
  });

  it('shares one read of the repository between concurrent refreshes', async () => {
    const real = kopiaFsSource();
    let reads = 0;
    const counting: CatalogSource = {
      ...real,
      locate: (ref) => real.locate(ref),
      discover: (signal) => real.discover(signal),
      read: (ref, signal) => {
        reads++;
        return real.read(ref, signal);
      },
      close: () => real.close(),
    };
    const catalog = new Catalog({ source: counting });
    const reports = await Promise.all([catalog.refresh(), catalog.refresh(), catalog.refresh()]);
    assert.equal(reads, 1);
    assert.ok(reports.every((r) => r === reports[0] && r.result === 'success'));
    await catalog.stop();
    counting.close();
  });
});

describe('HTTP API end to end', () => {
  const servers: { server: CatalogServer; catalog: Catalog; source: CatalogSource }[] = [];
  after(async () => {
    for (const s of servers) {
      await s.server.close(100);
      await s.catalog.stop();
      s.source.close();
    }
  });

  async function serve(source: CatalogSource) {
    const catalog = new Catalog({ source });
    const server = createCatalogServer({ catalog });
    servers.push({ server, catalog, source });
    catalog.start();
    const { port } = await server.listen('127.0.0.1', 0);
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200 && (await fetch(`${url}/readyz`)).status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return async (path: string) => {
      const res = await fetch(`${url}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
  }

  it('answers kopia-fs restore/fresh with 200, a checkpoint-only PVC with 503, a bad path with 400', async () => {
    const get = await serve(kopiaFsSource());
    const restore = await get('/exists/karakeep/data-pvc');
    assert.equal(restore.status, 200);
    assert.deepEqual(
      Object.fromEntries(
        ['exists', 'decision', 'authoritative', 'namespace', 'pvc', 'backend', 'source'].map((k) => [
          k,
          restore.body[k],
        ]),
      ),
      {
        exists: true,
        decision: 'restore',
        authoritative: true,
        namespace: 'karakeep',
        pvc: 'data-pvc',
        backend: 'kopia-fs',
        source: 'data-pvc-backup@karakeep:/data',
      },
    );
    const fresh = await get('/exists/karakeep/new-one');
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body.exists, false);
    assert.equal(fresh.body.decision, 'fresh');
    const half = await get('/exists/karakeep/half');
    assert.equal(half.status, 503);
    assert.equal(half.body.decision, 'unknown');
    assert.equal(typeof half.body.error, 'string');
    const bad = await get('/exists/karakeep');
    assert.equal(bad.status, 400);
  });

  it('answers kopia-s3 with its backend label and 503 for a wrong password', async () => {
    const ok = await serve(kopiaS3Source());
    const r = await ok('/exists/shop/app');
    assert.equal(r.status, 200);
    assert.equal(r.body.backend, 'kopia-s3');
    const wrong = await serve(kopiaS3Source(WRONG_PW));
    const w = await wrong('/exists/shop/app');
    assert.equal(w.status, 503);
    assert.equal(w.body.authoritative, false);
    assert.match(String(w.body.error), /^wrong-password: /);
    assert.equal(String(w.body.error).includes(WRONG_PW), false);
  });

  it('answers restic on S3 with backend s3, looking unknown PVCs up on demand', async () => {
    const get = await serve(resticS3Source());
    const r = await get('/exists/karakeep/v2');
    assert.equal(r.status, 200);
    assert.equal(r.body.backend, 's3');
    assert.equal(r.body.source, `s3:${s3.endpoint}/${s3.bucket}/restic/karakeep/v2`);
    const never = await get('/exists/other-ns/never');
    assert.equal(never.status, 200);
    assert.equal(never.body.decision, 'fresh');
  });
});

describe('lifeboat check and catalog against real repositories', () => {
  const kopiaEnv = () => ({ KOPIA_PASSWORD: KOPIA_PW });
  const s3Env = () => ({
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    KOPIA_S3_ENDPOINT: s3Port(),
    KOPIA_S3_DISABLE_TLS: 'true',
  });

  it('check prints restore with snapshots newest first in RFC 3339 UTC (kopia fs)', async () => {
    const r = await runWithEnv(
      kopiaEnv(),
      'check',
      'karakeep/data-pvc',
      '--backend',
      'kopia',
      '--repository',
      `filesystem://${kopiaFs.repoPath}`,
    );
    assert.equal(r.status, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.decision, 'restore');
    assert.equal(out.authoritative, true);
    assert.deepEqual(
      out.snapshots.map((s: { time: string }) => s.time),
      ['2026-04-02T02:00:00.000Z', '2026-04-01T02:00:00.000Z'],
    );
    for (const s of out.snapshots) assert.match(s.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  it('check reads credentials like the movers do (kopia S3, restic S3)', async () => {
    const kopia = await runWithEnv(
      { ...kopiaEnv(), ...s3Env(), KOPIA_REPOSITORY: `s3://${s3.bucket}/kopia` },
      'check',
      'shop/app',
      '--backend',
      'kopia',
    );
    assert.equal(kopia.status, 0, kopia.out + kopia.err);
    assert.equal(JSON.parse(kopia.out).decision, 'restore');
    const resticRun = await runWithEnv(
      { RESTIC_PASSWORD: RESTIC_PW, ...s3Env() },
      'check',
      'karakeep/v1',
      '--backend',
      'restic',
      '--repository',
      resticS3Template,
    );
    assert.equal(resticRun.status, 0, resticRun.out + resticRun.err);
    const out = JSON.parse(resticRun.out);
    assert.deepEqual(
      out.snapshots.map((s: { id: string }) => s.id),
      await resticVolSyncIds('s3-v1'),
    );
  });

  it('check exits 2 with unknown for a wrong password and never prints either password', async () => {
    for (const [env, args] of [
      [
        { KOPIA_PASSWORD: WRONG_PW },
        ['karakeep/data-pvc', '--backend', 'kopia', '--repository', `filesystem://${kopiaFs.repoPath}`],
      ],
      [
        { RESTIC_PASSWORD: WRONG_PW, ...s3Env() },
        ['karakeep/v2', '--backend', 'restic', '--repository', resticS3Template],
      ],
    ] as const) {
      const r = await runWithEnv(env, 'check', ...args);
      assert.equal(r.status, 2);
      const out = JSON.parse(r.out);
      assert.equal(out.decision, 'unknown');
      assert.equal(out.cause, 'wrong-password');
      for (const secret of [WRONG_PW, KOPIA_PW, RESTIC_PW, s3.secretAccessKey]) {
        assert.equal(r.out.includes(secret), false);
        assert.equal(r.err.includes(secret), false);
      }
    }
  });

  it('catalog lists every PVC as a table and as JSON', async () => {
    const table = await runWithEnv(
      kopiaEnv(),
      'catalog',
      '--backend',
      'kopia',
      '--repository',
      `filesystem://${kopiaFs.repoPath}`,
    );
    assert.equal(table.status, 0, table.err);
    assert.match(table.out, /^karakeep\s+data-pvc\s+restore\s+2\s+2026-04-02T02:00:00\.000Z\s+snapshots-found$/m);
    assert.match(table.out, /^karakeep\s+half\s+unknown\s+0\s+-\s+only-incomplete-snapshots$/m);
    assert.match(table.err, /2 source\(s\) do not follow the identity template/);
    const json = await runWithEnv(
      { RESTIC_PASSWORD: RESTIC_PW },
      'catalog',
      '--backend',
      'restic',
      '--repository',
      `${resticFsBase}/{namespace}-{pvc}`,
      '--output',
      'json',
    );
    assert.equal(json.status, 0, json.err);
    const out = JSON.parse(json.out);
    const v2 = out.pvcs.find((p: { pvc: string }) => p.pvc === 'v2');
    assert.equal(v2.decision, 'restore');
    assert.deepEqual(
      v2.snapshots.map((s: { id: string }) => s.id),
      await resticVolSyncIds('fs-v2'),
    );
    assert.equal(out.pvcs.find((p: { pvc: string }) => p.pvc === 'empty').decision, 'fresh');
    assert.ok(out.repositories.every((r: { healthy: boolean }) => r.healthy));
  });
});
