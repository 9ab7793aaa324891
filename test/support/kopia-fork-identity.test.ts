import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIdentity, identityFor } from '../../src/mover/kopia/identity.ts';
import { resolveDestinationIdentity, resolveSourceIdentity } from './kopia-fork-identity.ts';

describe('identityFor', () => {
  it('renders the default (seed) and the pvc-plumber v4 templates', () => {
    assert.equal(
      formatIdentity(identityFor('{pvc}-backup@{namespace}:/data', 'media', 'photos')),
      'photos-backup@media:/data',
    );
    assert.equal(formatIdentity(identityFor('{pvc}@{namespace}:/data', 'media', 'photos')), 'photos@media:/data');
  });
});

describe("the fork's identity rules", () => {
  it('uses explicit source fields verbatim', () => {
    assert.deepEqual(resolveSourceIdentity('x-backup', 'media', { username: 'photos-backup', hostname: 'media' }), {
      username: 'photos-backup',
      hostname: 'media',
      path: '/data',
    });
  });

  it('derives a source identity from its name and namespace when none is set', () => {
    assert.equal(formatIdentity(resolveSourceIdentity('photos-backup', 'media', {})), 'photos-backup@media:/data');
    assert.equal(formatIdentity(resolveSourceIdentity('my.pvc-backup', 'my_ns', {})), 'mypvc-backup@my-ns:/data');
    assert.equal(resolveSourceIdentity(`${'a'.repeat(60)}`, 'ns', {}).username, 'a'.repeat(50));
  });

  it('prefers explicit destination fields, then sourceIdentity, then its own name', () => {
    assert.equal(
      formatIdentity(resolveDestinationIdentity('photos-restore', 'media', { username: 'u', hostname: 'h' })),
      'u@h:/data',
    );
    assert.equal(
      formatIdentity(
        resolveDestinationIdentity('photos-restore', 'media', { sourceIdentity: { sourceName: 'photos-backup' } }),
      ),
      'photos-backup@media:/data',
    );
    // Only one of username/hostname counts as neither: the destination falls back to its own name and finds nothing.
    assert.equal(
      formatIdentity(resolveDestinationIdentity('photos-restore', 'media', { username: 'photos-backup' })),
      'photos-restore@media:/data',
    );
  });
});
