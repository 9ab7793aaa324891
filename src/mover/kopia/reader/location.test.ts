import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KopiaLocation, KopiaLocationError, kopiaLocationFromEnv, parseKopiaLocation } from './location.ts';

describe('KOPIA_REPOSITORY locations', () => {
  const cases: [string, Record<string, string>, KopiaLocation][] = [
    ['filesystem:///repository', {}, { kind: 'filesystem', path: '/repository' }],
    ['filesystem:///mnt/backups/', {}, { kind: 'filesystem', path: '/mnt/backups' }],
    ['filesystem:///', {}, { kind: 'filesystem', path: '/' }],
    [
      's3://volsync-kopia/cluster',
      { KOPIA_S3_BUCKET: 'volsync-kopia', KOPIA_S3_ENDPOINT: 'nas.example.com:30292', KOPIA_S3_DISABLE_TLS: 'true' },
      { kind: 's3', bucket: 'volsync-kopia', prefix: 'cluster', endpoint: 'nas.example.com:30292', tls: false },
    ],
    [
      's3://ignored/team//a/',
      { KOPIA_S3_BUCKET: 'real', AWS_S3_ENDPOINT: 'https://minio.example:9000/', AWS_DEFAULT_REGION: 'eu-1' },
      { kind: 's3', bucket: 'real', prefix: 'team/a/', endpoint: 'minio.example:9000', tls: true, region: 'eu-1' },
    ],
    [
      's3://bucket',
      { AWS_S3_DISABLE_TLS: 'true', AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'x' },
      { kind: 's3', bucket: 'bucket', prefix: '', endpoint: 's3.amazonaws.com', tls: false, region: 'us-west-2' },
    ],
    [
      'S3://b/p',
      { KOPIA_S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_S3_ENDPOINT: 'ignored:1' },
      { kind: 's3', bucket: 'b', prefix: 'p', endpoint: '127.0.0.1:9000', tls: true },
    ],
  ];
  for (const [repository, env, expected] of cases) {
    it(`parses ${repository}`, () => {
      assert.deepEqual(kopiaLocationFromEnv({ KOPIA_REPOSITORY: repository, ...env }), expected);
    });
  }

  const bad: [string, RegExp][] = [
    ['filesystem://relative/path', /absolute/],
    ['gcs://bucket/prefix', /scheme "gcs:\/\/" is not readable/],
    ['b2://bucket', /not readable/],
    ['/just/a/path', /not a URL/],
    ['s3:///prefix', /names no bucket/],
  ];
  for (const [repository, message] of bad) {
    it(`refuses ${repository}`, () => {
      assert.throws(
        () => parseKopiaLocation(repository),
        (e: unknown) => e instanceof KopiaLocationError && message.test(e.message),
      );
    });
  }

  it('requires KOPIA_REPOSITORY', () => {
    assert.throws(() => kopiaLocationFromEnv({}), /KOPIA_REPOSITORY is not set/);
  });
});
