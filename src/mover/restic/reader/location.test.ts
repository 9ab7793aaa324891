import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderResticTemplate } from '../../../../test/support/restic-reader.ts';
import {
  formatResticLocation,
  LocationError,
  type LocationErrorCode,
  parseResticLocation,
  parseResticTemplate,
  type ResticLocation,
} from './location.ts';

describe('parseResticLocation', () => {
  const cases: { input: string; want: ResticLocation }[] = [
    { input: '/mnt/backups/ns-pvc', want: { backend: 'local', path: '/mnt/backups/ns-pvc' } },
    { input: '/mnt/backups/ns-pvc/', want: { backend: 'local', path: '/mnt/backups/ns-pvc' } },
    { input: 'local:/srv//restic/./repo', want: { backend: 'local', path: '/srv/restic/repo' } },
    { input: '/', want: { backend: 'local', path: '/' } },
    {
      input: 's3:http://minio.minio.svc.cluster.local:9000/restic-repo/pvc-1-backup',
      want: {
        backend: 's3',
        endpoint: 'http://minio.minio.svc.cluster.local:9000',
        bucket: 'restic-repo',
        prefix: 'pvc-1-backup',
      },
    },
    {
      input: 's3:https://s3.example.com/bucket/a//b/../c/',
      want: { backend: 's3', endpoint: 'https://s3.example.com', bucket: 'bucket', prefix: 'a/c' },
    },
    {
      input: 's3:http://127.0.0.1:9000/bucket',
      want: { backend: 's3', endpoint: 'http://127.0.0.1:9000', bucket: 'bucket', prefix: '' },
    },
    {
      input: 's3:http://[::1]:9000/bucket/p',
      want: { backend: 's3', endpoint: 'http://[::1]:9000', bucket: 'bucket', prefix: 'p' },
    },
    {
      input: 's3:https://s3.example.com:443/b/p',
      want: { backend: 's3', endpoint: 'https://s3.example.com', bucket: 'b', prefix: 'p' },
    },
    {
      input: 's3:s3.amazonaws.com/my-bucket/volsync/ns/pvc',
      want: { backend: 's3', endpoint: 'https://s3.amazonaws.com', bucket: 'my-bucket', prefix: 'volsync/ns/pvc' },
    },
    {
      input: 's3:minio:9000/bucket',
      want: { backend: 's3', endpoint: 'https://minio:9000', bucket: 'bucket', prefix: '' },
    },
    // restic reads s3://X/Y/... with X as the endpoint host, not as the bucket (restic's design document,
    // doc/design.rst).
    {
      input: 's3://volsync/ns-pvc/',
      want: { backend: 's3', endpoint: 'https://volsync', bucket: 'ns-pvc', prefix: '' },
    },
  ];
  for (const { input, want } of cases) {
    it(`parses ${input}`, () => assert.deepEqual(parseResticLocation(input), want));
  }

  const failures: { input: string; code: LocationErrorCode; secret?: string }[] = [
    { input: 'relative/path', code: 'invalid' },
    { input: 'local:relative', code: 'invalid' },
    { input: 'rest:https://user:hunter2@backup.example.com/', code: 'unsupported-backend', secret: 'hunter2' },
    { input: 'b2:bucket:path', code: 'unsupported-backend' },
    { input: 'sftp:user@host:/srv/restic', code: 'unsupported-backend' },
    { input: 'azure:container:/path', code: 'unsupported-backend' },
    { input: 'gs:bucket:/path', code: 'unsupported-backend' },
    { input: 'swift:container:/path', code: 'unsupported-backend' },
    { input: 'rclone:remote:path', code: 'unsupported-backend' },
    { input: 's3:http://minio:9000', code: 'invalid' },
    { input: 's3:http://minio:9000/', code: 'invalid' },
    { input: 's3:http://AKIAEXAMPLE:topsecret@minio:9000/bucket/p', code: 'invalid', secret: 'topsecret' },
    { input: 's3:AKIA:topsecret@minio/bucket', code: 'invalid', secret: 'topsecret' },
    { input: 's3:http://minio:9000/bucket/../../escape', code: 'invalid' },
    { input: 's3:', code: 'invalid' },
    { input: 's3:ftp://host/bucket', code: 'invalid' },
  ];
  for (const { input, code, secret } of failures) {
    it(`refuses ${input} as ${code}`, () => {
      assert.throws(
        () => parseResticLocation(input),
        (error: unknown) => {
          assert.ok(error instanceof LocationError);
          assert.equal(error.code, code);
          if (secret) assert.ok(!error.message.includes(secret), `message leaks a credential: ${error.message}`);
          return true;
        },
      );
    });
  }

  it('formats back to a value restic parses the same way', () => {
    for (const { input } of cases) {
      const parsed = parseResticLocation(input);
      assert.deepEqual(parseResticLocation(formatResticLocation(parsed)), parsed);
    }
  });
});

describe('repository templates', () => {
  const renders: { template: string; namespace: string; pvc: string; want: string }[] = [
    {
      template: 's3:http://minio:9000/volsync/{namespace}/{pvc}',
      namespace: 'team-a',
      pvc: 'db',
      want: 's3:http://minio:9000/volsync/team-a/db',
    },
    {
      template: '/mnt/backups/{namespace}-{pvc}',
      namespace: 'media',
      pvc: 'jellyfin-config',
      want: '/mnt/backups/media-jellyfin-config',
    },
    {
      template: 's3:minio.local/bucket/restic/{pvc}.{namespace}/',
      namespace: 'ns',
      pvc: 'data.v2',
      want: 's3:https://minio.local/bucket/restic/data.v2.ns',
    },
    {
      template: 'local:/srv/{namespace}/x/{pvc}/repo',
      namespace: 'a',
      pvc: 'b',
      want: '/srv/a/x/b/repo',
    },
  ];
  for (const { template, namespace, pvc, want } of renders) {
    it(`renders ${template} for ${namespace}/${pvc}`, () => {
      assert.equal(renderResticTemplate(template, { namespace, pvc }), want);
    });
    it(`recovers ${namespace}/${pvc} from what ${template} renders`, () => {
      const parsed = parseResticTemplate(template);
      const refs = parsed.match(parseResticLocation(want));
      assert.ok(
        refs.some((r) => r.namespace === namespace && r.pvc === pvc),
        JSON.stringify(refs),
      );
    });
  }

  it('splits base and pattern at the last slash before the first placeholder', () => {
    const s3 = parseResticTemplate('s3:http://minio:9000/volsync/restic/{namespace}/{pvc}');
    assert.deepEqual(s3.base, { backend: 's3', endpoint: 'http://minio:9000', bucket: 'volsync', prefix: 'restic' });
    assert.equal(s3.depth, 2);
    const fs = parseResticTemplate('/mnt/backups/pvc-{namespace}-{pvc}');
    assert.deepEqual(fs.base, { backend: 'local', path: '/mnt/backups' });
    assert.equal(fs.depth, 1);
    assert.equal(fs.segmentMayMatch(0, 'pvc-a-b'), true);
    assert.equal(fs.segmentMayMatch(0, 'other-a-b'), false);
    assert.equal(fs.segmentMayMatch(1, 'pvc-a-b'), false);
  });

  it('lists every reading of an ambiguous name and none of an impossible one', () => {
    const t = parseResticTemplate('/mnt/backups/{namespace}-{pvc}');
    assert.deepEqual(
      t.matchRelative('a-b-c').map((r) => `${r.namespace}/${r.pvc}`),
      ['a/b-c', 'a-b/c'],
    );
    assert.deepEqual(t.matchRelative('abc'), []);
    assert.deepEqual(t.matchRelative('a-b/c'), []);
    assert.deepEqual(t.matchRelative('UPPER-case'), []);
  });

  it('matches a repeated placeholder only when both places agree', () => {
    const t = parseResticTemplate('/b/{namespace}/{namespace}-{pvc}');
    assert.deepEqual(t.matchRelative('ns/ns-data'), [{ namespace: 'ns', pvc: 'data' }]);
    assert.deepEqual(t.matchRelative('ns/other-data'), []);
  });

  it('does not match locations outside the base or on another endpoint', () => {
    const t = parseResticTemplate('s3:http://minio:9000/volsync/{namespace}/{pvc}');
    assert.deepEqual(t.match(parseResticLocation('s3:http://other:9000/volsync/a/b')), []);
    assert.deepEqual(t.match(parseResticLocation('s3:http://minio:9000/another/a/b')), []);
    assert.deepEqual(t.match(parseResticLocation('/volsync/a/b')), []);
    assert.deepEqual(t.match(parseResticLocation('s3:http://minio:9000/volsync/a')), []);
  });

  const badTemplates: { template: string; because: RegExp }[] = [
    { template: '/mnt/backups/{pvc}', because: /both \{namespace\} and \{pvc\}/ },
    { template: '/mnt/backups/{namespace}-{name}', because: /unknown placeholder \{name\}/ },
    { template: '/mnt/backups/{namespace}-{pvc', because: /unmatched/ },
    { template: 's3:http://minio:9000/{namespace}/{pvc}', because: /fix the endpoint and the bucket/ },
    { template: 's3:http://{namespace}.minio:9000/b/{pvc}', because: /fix the endpoint and the bucket/ },
    { template: '/mnt/{namespace}/../{pvc}', because: /"\.\."/ },
    { template: 'backups/{namespace}/{pvc}', because: /absolute/ },
  ];
  for (const { template, because } of badTemplates) {
    it(`refuses the template ${template}`, () => {
      assert.throws(() => parseResticTemplate(template), because);
    });
  }

  it('refuses names that are not Kubernetes names (no path tricks through a PVC name)', () => {
    const template = '/mnt/backups/{namespace}/{pvc}';
    assert.throws(
      () => renderResticTemplate(template, { namespace: 'ns', pvc: '..' }),
      /not a valid PersistentVolumeClaim/,
    );
    assert.throws(
      () => renderResticTemplate(template, { namespace: 'a/b', pvc: 'x' }),
      /not a valid Kubernetes namespace/,
    );
    assert.throws(
      () => renderResticTemplate(template, { namespace: 'ns', pvc: 'Data' }),
      /not a valid PersistentVolumeClaim/,
    );
  });
});
