import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slimPvc } from './transform.ts';

describe('slimPvc', () => {
  const pvc = (ownerReferences?: unknown[]) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'pg-1', namespace: 'db', ...(ownerReferences ? { ownerReferences } : {}) },
  });

  it('keeps who made the claim (apiVersion, kind, name), to recognise a database operator’s', () => {
    const slim = slimPvc(
      pvc([{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'pg', uid: 'u', controller: true }]),
    );
    assert.deepEqual(slim.metadata.ownerReferences, [
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'pg' },
    ]);
  });

  it('adds no ownerReferences to a claim without them', () => {
    assert.equal('ownerReferences' in slimPvc(pvc()).metadata, false);
    assert.equal('ownerReferences' in slimPvc(pvc([])).metadata, false);
  });
});
