import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/load.ts';
import { classifyPvc } from './classify.ts';
import type { Namespace, PersistentVolumeClaim } from './resources.ts';
import type { Intent } from './types.ts';

const config = loadConfig('namespaces: {excluded: [argocd]}\nnamespace: lifeboat');

function pvc(
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  ns = 'media',
): PersistentVolumeClaim {
  return { metadata: { name: 'photos', namespace: ns, labels, annotations } };
}

function namespace(name: string, annotations: Record<string, string> = {}): Namespace {
  return { metadata: { name, annotations } };
}

const optedIn = namespace('media', { 'volsync.backube/privileged-movers': 'true' });
const reason = 'lifeboat.dev/backup-exempt-reason';

describe('classifyPvc', () => {
  const cases: {
    name: string;
    pvc: PersistentVolumeClaim;
    ns?: Namespace;
    intent: Partial<Intent> & { kind: Intent['kind'] };
    message?: RegExp;
  }[] = [
    {
      name: 'protected hourly',
      pvc: pvc({ backup: 'hourly' }),
      ns: optedIn,
      intent: { kind: 'protected', tier: 'hourly' },
    },
    {
      name: 'protected manual',
      pvc: pvc({ backup: 'manual' }),
      ns: optedIn,
      intent: { kind: 'protected', tier: 'manual' },
    },
    { name: 'unlabelled', pvc: pvc({ app: 'x' }), ns: optedIn, intent: { kind: 'unlabelled' } },
    {
      name: 'unlabelled in a namespace that did not opt in',
      pvc: pvc({}),
      ns: namespace('media'),
      intent: { kind: 'unlabelled' },
    },
    {
      name: 'namespace without the opt-in annotation',
      pvc: pvc({ backup: 'daily' }),
      ns: namespace('media', { 'volsync.backube/privileged-movers': 'false' }),
      intent: { kind: 'not-opted-in', tier: 'daily' },
      message: /annotate it with volsync\.backube\/privileged-movers: "true"/,
    },
    {
      name: 'unknown namespace',
      pvc: pvc({ backup: 'daily' }),
      intent: { kind: 'not-opted-in', tier: 'daily' },
      message: /unknown/,
    },
    {
      name: 'kube-system always',
      pvc: pvc({ backup: 'hourly' }, {}, 'kube-system'),
      ns: namespace('kube-system', { 'volsync.backube/privileged-movers': 'true' }),
      intent: { kind: 'excluded' },
    },
    { name: "lifeboat's own namespace", pvc: pvc({ backup: 'hourly' }, {}, 'lifeboat'), intent: { kind: 'excluded' } },
    {
      name: "a restore drill's scratch volume",
      pvc: pvc({ 'lifeboat.dev/drill': '0123456789', 'app.kubernetes.io/managed-by': 'lifeboat' }),
      intent: { kind: 'excluded' },
      message: /restore drill/,
    },
    {
      name: 'configured system namespace, before any label check',
      pvc: pvc({ backup: 'bogus' }, {}, 'argocd'),
      intent: { kind: 'excluded' },
    },
    {
      name: 'a default system namespace the config list replaced',
      pvc: pvc({ backup: 'hourly' }, {}, 'cert-manager'),
      ns: namespace('cert-manager', { 'volsync.backube/privileged-movers': 'true' }),
      intent: { kind: 'protected', tier: 'hourly' },
    },
    {
      name: 'exempt with reason',
      pvc: pvc({ 'backup-exempt': 'true' }, { [reason]: ' cache ' }),
      ns: optedIn,
      intent: { kind: 'exempt', reason: 'cache' },
    },
    {
      name: 'exempt without opt-in is still exempt',
      pvc: pvc({ 'backup-exempt': 'true' }, { [reason]: 'scratch' }),
      intent: { kind: 'exempt', reason: 'scratch' },
    },
    {
      name: 'exempt "false" is no exemption',
      pvc: pvc({ 'backup-exempt': 'false', backup: 'daily' }),
      ns: optedIn,
      intent: { kind: 'protected', tier: 'daily' },
    },
    {
      name: 'exempt without reason',
      pvc: pvc({ 'backup-exempt': 'true' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'ExemptWithoutReason' },
      message: /needs a non-empty annotation lifeboat\.dev\/backup-exempt-reason/,
    },
    {
      name: 'exempt with a blank reason',
      pvc: pvc({ 'backup-exempt': 'true' }, { [reason]: '   ' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'ExemptWithoutReason' },
    },
    {
      name: 'exempt with the reason under the bare key',
      pvc: pvc({ 'backup-exempt': 'true' }, { 'backup-exempt-reason': 'cache' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'ExemptWithoutReason' },
      message:
        /annotation "backup-exempt-reason" is ignored: lifeboat reads the annotation "lifeboat\.dev\/backup-exempt-reason"; rename it/,
    },
    {
      name: "exempt with the seed cluster's key",
      pvc: pvc({ 'backup-exempt': 'true' }, { 'storage.vanillax.dev/backup-exempt-reason': 'cache' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'ExemptWithoutReason' },
      message: /storage\.vanillax\.dev\/backup-exempt-reason" is ignored/,
    },
    {
      name: 'malformed exempt value',
      pvc: pvc({ 'backup-exempt': 'yes' }, { [reason]: 'cache' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'MalformedExemptLabel' },
      message: /neither "true" nor "false"/,
    },
    {
      name: 'exempt and labelled',
      pvc: pvc({ 'backup-exempt': 'true', backup: 'hourly' }, { [reason]: 'cache' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'ConflictingIntent' },
      message: /remove one of the two labels/,
    },
    {
      name: 'unknown tier with a suggestion',
      pvc: pvc({ backup: 'weekyl' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'UnknownTier' },
      message: /"weekyl" is not a configured tier \(daily, hourly, manual, weekly\); did you mean "weekly"\?/,
    },
    {
      name: 'tier names are case-sensitive',
      pvc: pvc({ backup: 'Hourly' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'UnknownTier' },
      message: /did you mean "hourly"/,
    },
    {
      name: 'unknown tier without a near name',
      pvc: pvc({ backup: 'yearly' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'UnknownTier' },
      message: /backup-exempt: "true" with a reason/,
    },
    {
      name: 'empty backup label',
      pvc: pvc({ backup: '' }),
      ns: optedIn,
      intent: { kind: 'invalid', reason: 'MalformedBackupLabel' },
    },
    {
      name: 'invalid tier is reported before the opt-in',
      pvc: pvc({ backup: 'often' }),
      ns: namespace('media'),
      intent: { kind: 'invalid', reason: 'UnknownTier' },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { intent } = classifyPvc(c.pvc, c.ns, config);
      for (const [key, value] of Object.entries(c.intent)) {
        assert.deepEqual(
          (intent as unknown as Record<string, unknown>)[key],
          value,
          `${key} of ${JSON.stringify(intent)}`,
        );
      }
      if (c.message) assert.match('message' in intent ? intent.message : '', c.message);
    });
  }

  it('reads the configured keys, not the defaults', () => {
    const custom = loadConfig(
      'keys: {backupLabel: lifeboat.dev/tier-request, exemptLabel: no-backup, namespaceOptInAnnotation: lifeboat.dev/enabled}',
    );
    const ns = namespace('media', { 'lifeboat.dev/enabled': 'true' });
    assert.deepEqual(classifyPvc(pvc({ 'lifeboat.dev/tier-request': 'daily' }), ns, custom).intent, {
      kind: 'protected',
      tier: 'daily',
    });
    assert.equal(classifyPvc(pvc({ backup: 'daily' }), ns, custom).intent.kind, 'unlabelled');
    assert.equal(
      classifyPvc(pvc({ 'lifeboat.dev/tier-request': 'daily' }), optedIn, custom).intent.kind,
      'not-opted-in',
    );
    assert.equal(classifyPvc(pvc({ 'no-backup': 'true' }, { [reason]: 'x' }), ns, custom).intent.kind, 'exempt');
  });

  it('warns about near-miss keys without changing a valid intent', () => {
    const result = classifyPvc(pvc({ backup: 'daily' }, { 'backup-exempt-reason': 'old note' }), optedIn, config);
    assert.deepEqual(result.intent, { kind: 'protected', tier: 'daily' });
    assert.equal(result.warnings.length, 1);
    assert.equal(result.warnings[0]?.reason, 'NearMissKey');
  });

  it('takes the namespace from the Namespace object when the PVC manifest has none', () => {
    const bare: PersistentVolumeClaim = { metadata: { name: 'x', labels: { backup: 'daily' } } };
    assert.equal(classifyPvc(bare, optedIn, config).intent.kind, 'protected');
    assert.throws(() => classifyPvc(bare, undefined, config), /has no namespace/);
  });
});
