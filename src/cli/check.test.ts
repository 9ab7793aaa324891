/**
 * `lifeboat check` and `lifeboat catalog` against real (empty or missing) locations on the local file system and an
 * unreachable S3 endpoint — everything that needs no repository binary. Real Kopia and restic repositories are
 * covered in test/integration/catalog.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runWithEnv } from '../../test/support/cli.ts';

const SECRET_PASSWORD = 'pw-Zq8#never-print-me';
const SECRET_KEY = 'sk-Yv3-never-print-me-either';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lifeboat check', () => {
  it('says fresh (exit 0) for a restic PVC whose repository was never written', async () => {
    const r = await runWithEnv(
      { RESTIC_PASSWORD: SECRET_PASSWORD },
      'check',
      'karakeep/data-pvc',
      '--backend',
      'restic',
      '--repository',
      `${dir}/{namespace}-{pvc}`,
    );
    assert.equal(r.status, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.decision, 'fresh');
    assert.equal(out.authoritative, true);
    assert.equal(out.cause, 'repository-not-found');
    assert.equal(out.namespace, 'karakeep');
    assert.equal(out.pvc, 'data-pvc');
    assert.equal(out.repository, `${dir}/karakeep-data-pvc`);
    assert.deepEqual(out.snapshots, []);
    assert.equal('error' in out, false);
  });

  /** `lifeboat check` against the empty Kopia directory. */
  const checkEmptyDir = (...flags: string[]) =>
    runWithEnv(
      { KOPIA_PASSWORD: SECRET_PASSWORD, KOPIA_REPOSITORY: `filesystem://${dir}` },
      'check',
      'karakeep/data-pvc',
      '--backend',
      'kopia',
      ...flags,
    );

  it('says unknown (repository-missing) for a Kopia directory without a repository: a wrong path is not "fresh"', async () => {
    const r = await checkEmptyDir();
    assert.equal(r.status, 2, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.decision, 'unknown');
    assert.equal(out.cause, 'repository-missing');
    assert.match(out.message, /repository.firstInstall/);
  });

  it('says fresh for a Kopia directory without a repository on a declared first installation', async () => {
    const r = await checkEmptyDir('--first-install');
    assert.equal(r.status, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.decision, 'fresh');
    assert.equal(out.cause, 'repository-not-found');
    assert.equal(out.source, 'data-pvc-backup@karakeep:/data');
    assert.equal(out.backend, 'kopia-fs');
  });

  it('refuses an --expected-id that is not a repository ID', async () => {
    const r = await checkEmptyDir('--expected-id', 'staging');
    assert.equal(r.status, 1);
    assert.match(r.err, /not a repository ID/);
  });

  it('uses the identity template it is given', async () => {
    const r = await runWithEnv(
      { KOPIA_PASSWORD: SECRET_PASSWORD },
      'check',
      'karakeep/data-pvc',
      '--backend',
      'kopia',
      '--repository',
      `filesystem://${dir}`,
      '--identity',
      '{pvc}@{namespace}:/data',
    );
    assert.equal(JSON.parse(r.out).source, 'data-pvc@karakeep:/data');
  });

  it('says unknown (exit 2), never fresh, when the repository directory is missing', async () => {
    const r = await runWithEnv(
      { KOPIA_PASSWORD: SECRET_PASSWORD },
      'check',
      'karakeep/data-pvc',
      '--backend',
      'kopia',
      '--repository',
      `filesystem://${dir}/not-mounted`,
    );
    assert.equal(r.status, 2);
    const out = JSON.parse(r.out);
    assert.equal(out.decision, 'unknown');
    assert.equal(out.authoritative, false);
    assert.equal(out.cause, 'repository-unreachable');
    assert.match(out.error, /repository-unreachable/);
  });

  it('says unknown (credentials-missing) without a password', async () => {
    const r = await runWithEnv(
      {},
      'check',
      'karakeep/data-pvc',
      '--backend',
      'restic',
      '--repository',
      `${dir}/{namespace}/{pvc}`,
    );
    assert.equal(r.status, 2);
    const out = JSON.parse(r.out);
    assert.equal(out.cause, 'credentials-missing');
    assert.match(
      out.error,
      /RESTIC_PASSWORD is not set: export it, use --password-file, or give --config naming the repository Secret/,
    );
  });

  it('reads the password from --password-file', async () => {
    const file = join(dir, 'password');
    await writeFile(file, `${SECRET_PASSWORD}\n`);
    const r = await runWithEnv(
      {},
      'check',
      'karakeep/data-pvc',
      '--backend',
      'restic',
      '--repository',
      `${dir}/{namespace}/{pvc}`,
      '--password-file',
      file,
    );
    assert.equal(r.status, 0, r.out);
    const missing = await runWithEnv(
      {},
      'check',
      'karakeep/data-pvc',
      '--backend',
      'restic',
      '--repository',
      `${dir}/{namespace}/{pvc}`,
      '--password-file',
      join(dir, 'nope'),
    );
    assert.equal(missing.status, 2);
    assert.match(JSON.parse(missing.out).error, /cannot read the password file .*nope \(ENOENT\)/);
  });

  it('never prints the password or the secret key, also when S3 is unreachable', async () => {
    const env = { RESTIC_PASSWORD: SECRET_PASSWORD, AWS_ACCESS_KEY_ID: 'AKIATEST', AWS_SECRET_ACCESS_KEY: SECRET_KEY };
    const r = await runWithEnv(
      env,
      'check',
      'karakeep/data-pvc',
      '--backend',
      'restic',
      '--repository',
      's3:http://127.0.0.1:1/volsync/{namespace}/{pvc}',
      '--timeout',
      '20s',
    );
    assert.equal(r.status, 2);
    assert.equal(JSON.parse(r.out).cause, 'repository-unreachable');
    const catalog = await runWithEnv(
      env,
      'catalog',
      '--backend',
      'restic',
      '--repository',
      's3:http://127.0.0.1:1/volsync/{namespace}/{pvc}',
      '--output',
      'json',
    );
    assert.equal(catalog.status, 2);
    const kopia = await runWithEnv(
      {
        KOPIA_PASSWORD: SECRET_PASSWORD,
        AWS_ACCESS_KEY_ID: 'AKIATEST',
        AWS_SECRET_ACCESS_KEY: SECRET_KEY,
        KOPIA_S3_ENDPOINT: '127.0.0.1:1',
        KOPIA_S3_DISABLE_TLS: 'true',
      },
      'check',
      'karakeep/data-pvc',
      '--backend',
      'kopia',
      '--repository',
      's3://volsync/cluster',
      '--timeout',
      '20s',
    );
    assert.equal(kopia.status, 2);
    assert.equal(JSON.parse(kopia.out).cause, 'repository-unreachable');
    for (const run of [r, catalog, kopia]) {
      for (const text of [run.out, run.err]) {
        assert.equal(text.includes(SECRET_PASSWORD), false);
        assert.equal(text.includes(SECRET_KEY), false);
      }
    }
  });

  for (const [name, argv, message] of [
    [
      'a PVC argument without namespace',
      ['check', 'data-pvc', '--backend', 'restic'],
      /"data-pvc" is not <namespace>\/<pvc>/,
    ],
    ['an invalid PVC name', ['check', 'ns/Data_PVC', '--backend', 'restic'], /"Data_PVC" is not a valid PVC name/],
    ['a missing backend', ['check', 'ns/pvc', '--repository', '/x/{namespace}/{pvc}'], /--backend is required/],
    ['an unknown backend', ['check', 'ns/pvc', '--backend', 'borg'], /Allowed choices are kopia, restic/],
    [
      'a missing repository',
      ['check', 'ns/pvc', '--backend', 'kopia'],
      /--repository is required \(or set KOPIA_REPOSITORY, or give --config with repository\.url\)/,
    ],
    [
      'a relative restic path',
      ['check', 'ns/pvc', '--backend', 'restic', '--repository', 'backups/{namespace}/{pvc}'],
      /absolute path/,
    ],
    [
      'a restic backend lifeboat cannot read',
      ['check', 'ns/pvc', '--backend', 'restic', '--repository', 'sftp:host:/{namespace}/{pvc}'],
      /'sftp:' is not supported/,
    ],
    [
      'a Kopia URL without a scheme',
      ['check', 'ns/pvc', '--backend', 'kopia', '--repository', 'repository'],
      /--repository "repository" is not a URL; use filesystem:\/\/\/path or s3:\/\/bucket\/prefix/,
    ],
    [
      'a Kopia repository with placeholders',
      ['check', 'ns/pvc', '--backend', 'kopia', '--repository', 's3://b/{namespace}/{pvc}'],
      /must not contain placeholders/,
    ],
    [
      'an identity without {pvc}',
      ['check', 'ns/pvc', '--backend', 'kopia', '--repository', 'filesystem:///r', '--identity', 'x@{namespace}:/data'],
      /must contain both \{namespace\} and \{pvc\}/,
    ],
    [
      '--identity for restic',
      [
        'check',
        'ns/pvc',
        '--backend',
        'restic',
        '--repository',
        '/x/{namespace}/{pvc}',
        '--identity',
        '{pvc}@{namespace}:/data',
      ],
      /--identity applies to Kopia only/,
    ],
    [
      'a bad timeout',
      ['check', 'ns/pvc', '--backend', 'restic', '--repository', '/x/{namespace}/{pvc}', '--timeout', '10'],
      /--timeout "10" is not a duration/,
    ],
  ] as const) {
    it(`rejects ${name} with exit 1 and a message naming the fix`, async () => {
      const r = await runWithEnv({ RESTIC_PASSWORD: SECRET_PASSWORD, KOPIA_PASSWORD: SECRET_PASSWORD }, ...argv);
      assert.equal(r.status, 1);
      assert.match(r.err, message);
      assert.equal(r.out, '');
    });
  }
});

describe('lifeboat catalog', () => {
  it('lists nothing (exit 0) below an empty restic template base, as a table and as JSON', async () => {
    const base = join(dir, 'empty-base');
    await mkdir(base);
    const args = ['catalog', '--backend', 'restic', '--repository', `${base}/{namespace}/{pvc}`];
    const table = await runWithEnv({ RESTIC_PASSWORD: SECRET_PASSWORD }, ...args);
    assert.equal(table.status, 0, table.err);
    assert.match(table.out, /^NAMESPACE\s+PVC\s+DECISION\s+SNAPSHOTS\s+NEWEST\s+CAUSE$/m);
    assert.match(table.err, /no PVCs found/);
    const json = await runWithEnv({ RESTIC_PASSWORD: SECRET_PASSWORD }, ...args, '--output', 'json');
    const out = JSON.parse(json.out);
    assert.equal(out.backend, 'restic-fs');
    assert.deepEqual(out.pvcs, []);
  });

  it('refuses a plain restic location: listing needs a template', async () => {
    const r = await runWithEnv(
      { RESTIC_PASSWORD: SECRET_PASSWORD },
      'catalog',
      '--backend',
      'restic',
      '--repository',
      dir,
    );
    assert.equal(r.status, 1);
    assert.match(r.err, /no \{namespace\} and \{pvc\} placeholders/);
  });

  it('rejects an unknown output format', async () => {
    const r = await runWithEnv(
      { RESTIC_PASSWORD: SECRET_PASSWORD },
      'catalog',
      '--backend',
      'restic',
      '--repository',
      `${dir}/{namespace}/{pvc}`,
      '-o',
      'xml',
    );
    assert.equal(r.status, 1);
    assert.match(r.err, /argument 'xml' is invalid\. Allowed choices are table, wide, json, yaml\./);
  });

  it('reports an unreadable Kopia repository with exit 2 on stderr', async () => {
    const r = await runWithEnv(
      { KOPIA_PASSWORD: SECRET_PASSWORD },
      'catalog',
      '--backend',
      'kopia',
      '--repository',
      `filesystem://${dir}/not-mounted`,
    );
    assert.equal(r.status, 2);
    assert.match(r.err, /filesystem:\/\/.*not-mounted: unreachable: /);
  });
});
