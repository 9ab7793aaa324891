import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repositoryReport, repositoryReportLines } from './repository-report.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('repositoryReport', () => {
  it('lists the shared repository ID, a change awaiting confirmation, the first-install flag and unmatched sources', () => {
    const report = repositoryReport(
      {
        shared: true,
        health: [
          { repository: 'filesystem:///mnt/repository', healthy: true, consecutiveFailures: 0, repositoryId: B },
        ],
        identity: {
          pins: { 'filesystem:///mnt/repository': A },
          firstInstall: 'ignored',
          conflicts: [{ repository: 'filesystem:///mnt/repository', pinned: A, observed: B }],
        },
        unmatched: [
          { source: 'data@shop:/data', snapshots: 3, newest: '2026-04-01T02:00:00.000Z' },
          { source: 'root@laptop:/home', snapshots: 1 },
        ],
      },
      [{ namespace: 'shop', pvc: 'data' }],
      (id) => `confirm ${id}`,
    );
    assert.deepEqual(report.repositories, [{ repository: 'filesystem:///mnt/repository', id: B }]);
    assert.equal(report.conflicts[0]?.confirm, `confirm ${B}`);
    assert.deepEqual(
      report.unmatched.map((u) => u.likelyPvc),
      ['shop/data', 'laptop/root'],
    );
    const lines = repositoryReportLines(report);
    assert.ok(lines.includes(`repository filesystem:///mnt/repository: ID ${B}`));
    assert.ok(lines.some((l) => l.startsWith('REPOSITORY CHANGED') && l.endsWith(`confirm ${B}`)));
    assert.ok(lines.some((l) => /firstInstall is set but ignored/.test(l)));
    assert.ok(
      lines.includes(
        'unmatched source data@shop:/data: 3 snapshot(s), newest 2026-04-01T02:00:00.000Z, likely PVC shop/data',
      ),
    );
  });

  it('does not list per-PVC repository IDs (they stay in the pins)', () => {
    const report = repositoryReport(
      {
        shared: false,
        health: [{ repository: '/b/ns/app', healthy: true, consecutiveFailures: 0, repositoryId: A }],
        identity: { pins: { '/b/ns/app': A }, conflicts: [] },
        unmatched: [],
      },
      [],
      (id) => id,
    );
    assert.deepEqual(report.repositories, []);
    assert.deepEqual(repositoryReportLines(report), []);
  });
});
