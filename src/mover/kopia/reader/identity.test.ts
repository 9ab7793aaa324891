import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_IDENTITY_TEMPLATE,
  IdentityTemplateError,
  matchIdentity,
  PVC_IDENTITY_TEMPLATE,
  renderIdentity,
  validateIdentityTemplate,
} from './identity.ts';

describe('kopia identity templates', () => {
  const render: [string, string, string, string][] = [
    [DEFAULT_IDENTITY_TEMPLATE, 'media', 'plex-config', 'plex-config-backup@media:/data'],
    [PVC_IDENTITY_TEMPLATE, 'media', 'plex-config', 'plex-config@media:/data'],
    ['{pvc}@{namespace}:/mnt/{pvc}', 'ns', 'vol.1', 'vol.1@ns:/mnt/vol.1'],
    // The VolSync fork before 2025-08-11: user <rs>-<ns>, host <ns>-<pvc>, with RS = <pvc>-backup.
    ['{pvc}-backup-{namespace}@{namespace}-{pvc}:/data', 'db', 'pg', 'pg-backup-db@db-pg:/data'],
  ];
  for (const [template, namespace, pvc, source] of render) {
    it(`renders ${template} for ${namespace}/${pvc} and reads it back`, () => {
      assert.equal(renderIdentity(template, { namespace, pvc }), source);
      assert.deepEqual(matchIdentity(template, source), { namespace, pvc });
    });
  }

  const match: [string, string, { namespace: string; pvc: string } | undefined][] = [
    [DEFAULT_IDENTITY_TEMPLATE, 'a-backup-backup@ns:/data', { namespace: 'ns', pvc: 'a-backup' }],
    [DEFAULT_IDENTITY_TEMPLATE, 'a-backup@ns:/data', { namespace: 'ns', pvc: 'a' }],
    [DEFAULT_IDENTITY_TEMPLATE, 'a@ns:/data', undefined],
    [DEFAULT_IDENTITY_TEMPLATE, 'a-backup@ns:/data/sub', undefined],
    [DEFAULT_IDENTITY_TEMPLATE, 'A-backup@ns:/data', undefined], // not a Kubernetes name
    [DEFAULT_IDENTITY_TEMPLATE, 'a-backup@ns.x:/data', undefined], // namespaces have no dots
    [PVC_IDENTITY_TEMPLATE, 'a-backup@ns:/data', { namespace: 'ns', pvc: 'a-backup' }],
    [PVC_IDENTITY_TEMPLATE, 'maintenance@volsync', undefined],
    ['{pvc}@{namespace}:/mnt/{pvc}', 'x@ns:/mnt/y', undefined], // repeated placeholders must agree
    // Both parts may contain dashes: "a-b-c" splits several ways, so no answer rather than a guess.
    ['{namespace}-{pvc}@host:/data', 'a-b-c@host:/data', undefined],
    ['{namespace}-{pvc}@host:/data', 'ns-pvc@host:/data', { namespace: 'ns', pvc: 'pvc' }],
  ];
  for (const [template, source, expected] of match) {
    it(`matches ${source} against ${template}`, () => assert.deepEqual(matchIdentity(template, source), expected));
  }

  it('escapes regular expression characters in literal parts', () => {
    assert.deepEqual(matchIdentity('{pvc}+x@{namespace}:/d.t', 'p+x@n:/d.t'), { namespace: 'n', pvc: 'p' });
    assert.equal(matchIdentity('{pvc}+x@{namespace}:/d.t', 'p+x@n:/dxt'), undefined);
  });

  it('rejects templates that cannot identify a PVC', () => {
    for (const bad of ['{pvc}@host:/data', '{pvc}@{ns}:/data', '{pvc}@{namespace}:/data}', 'plain']) {
      assert.throws(() => validateIdentityTemplate(bad), IdentityTemplateError, bad);
    }
    assert.throws(
      () => renderIdentity('{pvc}@{nam}:/data', { namespace: 'a', pvc: 'b' }),
      /unknown placeholder \{nam\}/,
    );
  });
});
