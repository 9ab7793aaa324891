import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import { isDnsSubdomain, isLabelValue } from '../config/formats.ts';
import { fitName, generatedNames, MAX_VOLSYNC_NAME, pvcLabelValue } from './names.ts';
import { renderTrigger, spreadMinute } from './schedule.ts';

describe('fitName', () => {
  it('keeps names that fit', () => {
    assert.equal(fitName('data-backup', 51), 'data-backup');
    assert.equal(fitName('x'.repeat(51), 51), 'x'.repeat(51));
  });

  it('cuts long names to the limit with a hash of the whole name', () => {
    const long = `${'a'.repeat(60)}-backup`;
    const fitted = fitName(long, 51);
    assert.equal(fitted.length, 51);
    assert.match(fitted, /^a{40}-[0-9a-f]{10}$/);
    assert.equal(fitName(long, 51), fitted, 'deterministic');
    assert.notEqual(fitName(`${'a'.repeat(60)}-restore`, 51), fitted, 'names sharing a prefix stay distinct');
  });

  it('never leaves "-" or "." before the hash suffix', () => {
    const fitted = fitName(`${'a'.repeat(39)}-.-${'b'.repeat(20)}`, 51);
    assert.match(fitted, /^a{39}-[0-9a-f]{10}$/);
    assert.ok(isDnsSubdomain(fitted));
  });
});

describe('generatedNames', () => {
  it('renders the seed names by default', () => {
    assert.deepEqual(generatedNames('data', DEFAULT_CONFIG.naming), {
      secret: 'data-volsync-secret',
      replicationSource: 'data-backup',
      replicationDestination: 'data-restore',
    });
  });

  it('keeps every name valid for a 253-character PVC name', () => {
    const pvc = `${'p'.repeat(120)}.${'q'.repeat(132)}`;
    assert.equal(pvc.length, 253);
    const names = generatedNames(pvc, DEFAULT_CONFIG.naming);
    assert.ok(names.secret.length <= 253 && isDnsSubdomain(names.secret), names.secret);
    for (const name of [names.replicationSource, names.replicationDestination]) {
      assert.ok(name.length <= MAX_VOLSYNC_NAME && isDnsSubdomain(name), name);
      // VolSync's mover Job names must fit in 63 characters.
      assert.ok(`volsync-src-${name}`.length <= 63);
    }
    assert.notEqual(names.replicationSource, names.replicationDestination);
  });
});

describe('pvcLabelValue', () => {
  it('uses the name when it is a valid label value', () => {
    assert.equal(pvcLabelValue('a'.repeat(63)), 'a'.repeat(63));
  });

  it('hashes longer names like the earlier system (pvc-<24 hex of sha256>)', () => {
    // Reference value computed outside this code base: sha256("a" * 64)[:24].
    assert.equal(pvcLabelValue('a'.repeat(64)), 'pvc-ffe054fe7ae0cb6dc65c3af9');
    assert.ok(isLabelValue(pvcLabelValue('x'.repeat(253))));
  });
});

describe('schedule spread', () => {
  it('matches pvc-plumber: big-endian uint32 of sha256(ns/pvc), mod 60', () => {
    // Reference values computed with Python's hashlib.
    assert.equal(spreadMinute('karakeep', 'data-pvc'), 10);
    assert.equal(spreadMinute('media', 'photos'), 17);
    assert.equal(spreadMinute('default', 'x'), 31);
  });

  it('spreads many PVCs over the hour', () => {
    const minutes = new Set(Array.from({ length: 600 }, (_, i) => spreadMinute(`ns${i % 7}`, `pvc-${i}`)));
    assert.ok(minutes.size >= 55, `only ${minutes.size} distinct minutes`);
  });

  it('renders H as the PVC minute and leaves pinned schedules and manual tokens alone', () => {
    assert.deepEqual(renderTrigger({ schedule: 'H * * * *' }, 'karakeep', 'data-pvc'), { schedule: '10 * * * *' });
    assert.deepEqual(renderTrigger({ schedule: 'H 2 * * 0' }, 'media', 'photos'), { schedule: '17 2 * * 0' });
    assert.deepEqual(renderTrigger({ schedule: '0 * * * *' }, 'media', 'photos'), { schedule: '0 * * * *' });
    assert.deepEqual(renderTrigger({ schedule: '@daily' }, 'media', 'photos'), { schedule: '@daily' });
    assert.deepEqual(renderTrigger({ manual: 'backup-on-demand' }, 'media', 'photos'), { manual: 'backup-on-demand' });
  });
});
