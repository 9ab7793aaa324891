/**
 * A tier removed from lifeboat's configuration (helm upgrade) while a PVC labelled with it has backups, on the real
 * node (test/support/realnode.ts) with lifeboat installed from its chart, for both movers on S3 (MinIO): what lifeboat
 * generated for it is kept (Warning UnknownTier), and a claim created with that label, the same PVC or a new one, is
 * refused (invalid-intent): never created empty, never restored, nothing generated. The backup before is made by the
 * real mover. Each block installs and uninstalls its own release and uses its own bucket prefix, removed at the end.
 * Nothing here is played.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/client.ts';
import { eventually } from '../support/eventually.ts';
import { sharedRealNode } from '../support/realnode.ts';
import { generatedFor, PVC, writeAndBackUp } from '../support/realnode-flows.ts';
import { Scenario, TURN } from '../support/realnode-scenario.ts';

/** The default tiers (docs/configuration.md) without `manual`. */
const WITHOUT_MANUAL = {
  hourly: { trigger: { schedule: 'H * * * *' }, retain: { hourly: 24, daily: 7 } },
  daily: { trigger: { schedule: 'H 2 * * *' }, retain: { daily: 14 } },
  weekly: { trigger: { schedule: 'H 2 * * 0' }, retain: { weekly: 8 } },
};

describe('real node: a tier disabled in the config', { timeout: 2_400_000 }, () => {
  for (const mover of ['kopia', 'restic'] as const) {
    describe(`${mover} on S3 (MinIO)`, () => {
      let s: Scenario;
      before(async () => {
        s = new Scenario(await sharedRealNode(), `real-${mover}-tier-off`);
        const { secret, config } = s.s3Repository(mover);
        await s.start(secret, config);
      }, TURN);
      after(() => s?.stop());
      it(`${mover}: tier removed from the config: generated objects kept, the claim recreated with its label refused, a new one too`, () =>
        tierDisabled(s));
    });
  }
});

/**
 * A tier an administrator removes from lifeboat's configuration (here `manual`, the tier whose trigger the tests
 * drive), while a PVC labelled with it has backups. lifeboat keeps what it generated for that PVC (the docs: "its
 * existing objects are kept"), and a claim created with that label — the same PVC recreated, or a new one — is
 * refused (invalid-intent): it is neither created empty nor restored, and nothing is generated for it.
 */
async function tierDisabled(s: Scenario): Promise<void> {
  await s.step('new PVC bound', async () => {
    await s.createPvc(PVC);
    await s.bound(PVC);
  });
  await writeAndBackUp(s, 'before-the-tier-goes');
  const before = await generatedFor(s, PVC);
  assert.ok(before.length >= 2, `a backed-up PVC has its generated objects: ${before.join(', ')}`);

  await s.reconfigure({ ...s.config, tiers: WITHOUT_MANUAL });
  await s.step('tier gone: generated objects kept', async () => {
    // The new lifeboat reconciled the labelled PVC under the new config (its Warning names the tier) and kept them.
    await eventually(
      'the UnknownTier Warning on the PVC',
      async () => {
        const events = await s.kube.list<
          KubeObject & { reason?: string; regarding?: { name?: string }; note?: string }
        >('events.k8s.io/v1', 'Event', { namespace: s.namespace });
        return events.find((e) => e.reason === 'UnknownTier' && e.regarding?.name === PVC);
      },
      60_000,
      500,
    ).then((e) => assert.match(e.note ?? '', /"manual" is not a configured tier.*existing backup objects are kept/));
    assert.deepEqual(await generatedFor(s, PVC), before);
  });
  await s.step('delete PVC', () => s.deletePvc(PVC));
  await s.step('recreated with the removed tier: refused', async () => {
    await assert.rejects(s.createPvc(PVC), /invalid-intent[\s\S]*"manual" is not a configured tier/);
    assert.equal(await s.kube.get(s.pvcRef(PVC)), undefined, 'no claim was created (empty or restored)');
  });
  await s.step('a new PVC with the removed tier: refused, nothing generated', async () => {
    await assert.rejects(s.createPvc('other'), /invalid-intent[\s\S]*is not a configured tier/);
    assert.deepEqual(await generatedFor(s, 'other'), []);
  });
}
