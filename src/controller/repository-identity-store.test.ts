import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confirmRepositoryCommand, IDENTITY_CONFIGMAP } from '../catalog/pins.ts';
import { parsePins } from './repository-identity-store.ts';

const meta = (annotations?: Record<string, string>) => ({
  name: IDENTITY_CONFIGMAP,
  namespace: 'lifeboat-system',
  ...(annotations ? { annotations } : {}),
});
const cm = (data: Record<string, string> | undefined, annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: meta(annotations),
  ...(data ? { data } : {}),
});

describe('parsePins', () => {
  it('reads nothing from an absent ConfigMap', () => {
    assert.deepEqual(parsePins(undefined), { pins: {} });
  });

  it('reads the pins and the confirmation (trimmed, lower-case, as IDs are printed)', () => {
    const id = 'AB'.repeat(32);
    assert.deepEqual(
      parsePins(
        cm({ pins: '{"filesystem:///mnt/repository":"abc"}' }, { 'lifeboat.dev/confirm-repository': ` ${id} ` }),
      ),
      { pins: { 'filesystem:///mnt/repository': 'abc' }, confirmed: id.toLowerCase() },
    );
  });

  it('refuses a damaged record instead of reading it as "nothing pinned"', () => {
    assert.throws(() => parsePins(cm({ pins: '{' })), /not JSON/);
    assert.throws(() => parsePins(cm({ pins: '["x"]' })), /not a JSON object/);
  });
});

describe('confirmRepositoryCommand', () => {
  it('is one kubectl annotate naming the ID', () => {
    assert.equal(
      confirmRepositoryCommand('lifeboat-system', 'abc'),
      'kubectl -n lifeboat-system annotate configmap lifeboat-repository-identity lifeboat.dev/confirm-repository=abc --overwrite',
    );
  });
});
