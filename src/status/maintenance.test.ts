import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MaintenancePlan } from '../plan/maintenance.ts';
import { type LiveKopiaMaintenance, type MaintenanceResult, maintenanceStatus } from './maintenance.ts';

const NOW = Date.parse('2026-06-10T12:00:00Z');
const maintained: Pick<MaintenancePlan, 'state' | 'message'> = { state: 'maintained', message: 'full maintenance' };
const live = (status: LiveKopiaMaintenance['status'], created = '2026-06-01T00:00:00Z'): LiveKopiaMaintenance => ({
  metadata: { name: 'lifeboat-repository-maintenance', namespace: 'lifeboat-system', creationTimestamp: created },
  spec: { trigger: { schedule: '30 4 * * *' }, schedule: '30 4 * * *' },
  ...(status ? { status } : {}),
});
const ready = { type: 'Ready', status: 'True', reason: 'MaintenanceActive' };

describe('maintenanceStatus', () => {
  const cases: {
    name: string;
    plan?: Pick<MaintenancePlan, 'state' | 'message'>;
    live?: LiveKopiaMaintenance;
    result: MaintenanceResult;
    message: RegExp;
  }[] = [
    {
      name: 'succeeded this morning',
      live: live({ lastMaintenanceTime: '2026-06-10T04:31:00Z', conditions: [ready] }),
      result: 'ok',
      message: /succeeded at 2026-06-10T04:31:00Z/,
    },
    {
      name: 'one missed run is tolerated (47 h ago)',
      live: live({ lastMaintenanceTime: '2026-06-08T13:00:00Z' }),
      result: 'ok',
      message: /succeeded/,
    },
    {
      name: 'two missed runs are overdue (49 h ago)',
      live: live({ lastMaintenanceTime: '2026-06-08T11:00:00Z' }),
      result: 'overdue',
      message: /last succeeded at 2026-06-08T11:00:00Z, more than twice the interval of "30 4 \* \* \*"/,
    },
    {
      name: 'created an hour ago, not run yet',
      live: live(undefined, '2026-06-10T11:00:00Z'),
      result: 'pending',
      message: /no run has completed yet/,
    },
    {
      name: 'created ten days ago, never succeeded',
      live: live({ conditions: [ready] }),
      result: 'overdue',
      message: /has never succeeded/,
    },
    {
      name: 'consecutive failures',
      live: live({ lastMaintenanceTime: '2026-06-10T04:31:00Z', maintenanceFailures: 2 }),
      result: 'failing',
      message: /last 2 maintenance run\(s\) failed.*reset-failures/,
    },
    {
      name: 'the fork cannot run it (Secret missing)',
      live: live({
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ReconcileFailed', message: 'repository secret x not found' },
        ],
      }),
      result: 'failing',
      message: /not ready \(ReconcileFailed\): repository secret x not found/,
    },
    { name: 'not created yet', result: 'missing', message: /not created yet/ },
    {
      name: 'lifeboat does not maintain (restic)',
      plan: { state: 'off', message: 'repository.backend is restic' },
      result: 'off',
      message: /restic/,
    },
    {
      name: 'waiting for credentials',
      plan: { state: 'waiting', message: 'source Secret missing' },
      live: live({ lastMaintenanceTime: '2026-06-10T04:31:00Z' }),
      result: 'waiting',
      message: /source Secret missing/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.result}`, () => {
      const s = maintenanceStatus(c.plan ?? maintained, c.live, NOW);
      assert.equal(s.result, c.result);
      assert.match(s.message, c.message);
    });
  }

  it('reports the facts of the live object', () => {
    const s = maintenanceStatus(
      maintained,
      live({
        lastMaintenanceTime: '2026-06-10T04:31:00Z',
        nextScheduledMaintenance: '2026-06-11T04:30:00Z',
        maintenanceFailures: 0,
      }),
      NOW,
    );
    assert.deepEqual(s, {
      result: 'ok',
      message: 'last full maintenance succeeded at 2026-06-10T04:31:00Z',
      kopiaMaintenance: 'lifeboat-system/lifeboat-repository-maintenance',
      schedule: '30 4 * * *',
      lastMaintenanceTime: '2026-06-10T04:31:00Z',
      nextScheduledMaintenance: '2026-06-11T04:30:00Z',
      failures: 0,
      overdueAfterSeconds: 2 * 86_400,
    });
  });
});
