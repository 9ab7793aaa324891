/**
 * The mover registry against every consumer of a mover's facts: for each mover in the registry (src/mover/index.ts),
 * the loader's repository rules, the writer (plan/backend/), the catalog's configured source, its variable names and
 * default location must agree, so a mover cannot be half-added. Each mover states these facts once, in its own
 * folder; this test checks that the consumers read them alike.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configuredLocation, configuredSource } from '../../catalog/configured-source.ts';
import {
  credentialsFromEnv,
  defaultLocation,
  passwordVariable,
  repositoryVariable,
} from '../../catalog/environment.ts';
import { ConfigError } from '../../config/issues.ts';
import { loadConfig } from '../../config/load.ts';
import { BACKEND_KINDS, type Backend } from '../../config/types.ts';
import { MOVERS } from '../../mover/index.ts';
import { kopiaRepositoryName } from '../../mover/kopia/catalog-source.ts';
import { parseKopiaLocation } from '../../mover/kopia/reader/location.ts';
import { formatResticLocation, parseResticLocation } from '../../mover/restic/reader/location.ts';
import { renderedSecretKeys } from '../credentials.ts';
import { backendOf } from './index.ts';

/** A repository section each backend's rules accept (a new backend needs one here: the table does not compile). */
const REPOSITORY: Record<Backend, string> = {
  kopia: 'url: s3://volsync/kopia',
  restic: 'url: s3:http://minio.example:9000/volsync/{namespace}/{pvc}',
};

const configFor = (kind: Backend, repository = REPOSITORY[kind]) =>
  loadConfig(
    `apiVersion: lifeboat.dev/v1alpha1\nkind: LifeboatConfig\nrepository:\n  backend: ${kind}\n  ${repository}\n`,
  );
const at = { namespace: 'media', pvc: 'photos' };

describe('the mover registry', () => {
  it('lists kopia and restic', () => {
    assert.deepEqual([...BACKEND_KINDS], ['kopia', 'restic']);
  });

  it('binds a configuration once, and another configuration (a reload) anew', () => {
    const config = configFor('kopia');
    assert.equal(backendOf(config), backendOf(config));
    const reloaded = configFor('restic');
    assert.notEqual(backendOf(reloaded), backendOf(config));
    assert.equal(backendOf(reloaded).kind, 'restic');
  });

  for (const kind of BACKEND_KINDS) {
    describe(kind, () => {
      const config = configFor(kind);
      const backend = backendOf(config);
      const source = configuredSource({ config, secretData: () => ({}), secretName: 'lifeboat-system/repository' });

      it('the config, the writer and the catalog pick the same mover', () => {
        assert.equal(config.repository.backend, kind);
        assert.equal(backend.kind, kind);
        assert.equal(source.kind, kind);
        source.close();
      });

      it("the writer's required keys are the variables the catalog reads the password and location from", () => {
        assert.deepEqual(backend.requiredSecretKeys, [passwordVariable(kind), repositoryVariable(kind)]);
        const env = { [backend.requiredSecretKeys[0]]: 'secret' };
        assert.equal(credentialsFromEnv(kind, env, 'the test').password, 'secret');
        assert.deepEqual(Object.keys(renderedSecretKeys(config, at.namespace, at.pvc)), [
          backend.requiredSecretKeys[1],
        ]);
      });

      it('the catalog looks for a PVC under the name the writer gives its backups', () => {
        const written = Object.values({
          ...backend.identityAnnotations(config, at),
          ...renderedSecretKeys(config, at.namespace, at.pvc),
        });
        assert.ok(written.includes(source.locate(at).source), `${source.locate(at).source} in ${written.join(', ')}`);
        source.close();
      });

      it("the mover block is the backend's own, with the tier's retention", () => {
        const common = { copyMethod: 'Snapshot' } as Parameters<typeof backend.source>[0];
        const block = backend.source(common, { daily: 7, last: 3 }, config, at) as Record<string, unknown>;
        assert.deepEqual(Object.keys(block), [kind]);
        const retain = (block[kind] as { retain: Record<string, unknown> }).retain;
        assert.equal(retain.daily, 7);
        const destination = { ...common, capacity: '1Gi' } as Parameters<typeof backend.destination>[0];
        assert.deepEqual(Object.keys(backend.destination(destination, config, at)), [kind]);
      });

      it("the loader's rules describe the repositories the catalog reads", () => {
        const rules = MOVERS[kind].repository;
        assert.equal(rules.perPvcRepositories !== undefined, source.perPvcRepositories);
        assert.equal(rules.sharedRepository, !source.perPvcRepositories);
        const { url: _url, ...repository } = config.repository;
        const withoutUrl = {
          ...config,
          repository: { ...repository, nfs: { server: 'nfs', path: '/x', mountPath: 'r' } },
        };
        // A mover with no default location cannot run without repository.url: the loader must require it.
        assert.equal(rules.urlRequired !== undefined, defaultLocation(withoutUrl) === undefined);
        source.close();
      });

      it('writer and catalog use one default location when repository.url names none', () => {
        const { url: _url, ...repository } = config.repository;
        const bare = {
          ...config,
          repository: { ...repository, nfs: { server: 'nfs', path: '/x', mountPath: 'repo' } },
        };
        assert.equal(configuredLocation(bare), defaultLocation(bare));
        const rendered = renderedSecretKeys(bare, at.namespace, at.pvc)[repositoryVariable(kind)];
        assert.equal(rendered, defaultLocation(bare));
      });
    });
  }
});

/** The catalog's name of a location the writer rendered, as the mover's reader would name it. */
const CATALOG_NAME: Record<Backend, (location: string) => string> = {
  kopia: (location) => kopiaRepositoryName(parseKopiaLocation(location, {})),
  restic: (location) => formatResticLocation(parseResticLocation(location)),
};

/** Every placeholder combination of `repository.url` per mover, on each kind of location the mover accepts. */
const URLS: Record<Backend, string[]> = {
  kopia: [
    's3://volsync/kopia',
    's3://volsync/{namespace}',
    's3://volsync/{pvc}',
    's3://volsync/{namespace}/{pvc}',
    'filesystem:///repository',
    'filesystem:///repository/{namespace}',
  ],
  restic: [
    's3:http://minio.example:9000/volsync/kopia',
    's3:http://minio.example:9000/volsync/{namespace}',
    's3:http://minio.example:9000/volsync/{pvc}',
    's3:http://minio.example:9000/volsync/{namespace}/{pvc}',
    '/mnt/backups/{namespace}-{pvc}',
  ],
};
const IDENTITIES = ['{pvc}-backup@{namespace}:/data', '{pvc}@{namespace}:/data', '{pvc}@cluster:/data'];
/** What the loader must accept (mover, url, identity); everything else in the table it must refuse. */
const ACCEPTED = new Set([
  ...['s3://volsync/kopia', 'filesystem:///repository'].flatMap((url) =>
    IDENTITIES.slice(0, 2).map((identity) => `kopia ${url} ${identity}`),
  ),
  ...['s3:http://minio.example:9000/volsync/{namespace}/{pvc}', '/mnt/backups/{namespace}-{pvc}'].flatMap((url) =>
    IDENTITIES.map((identity) => `restic ${url} ${identity}`),
  ),
]);
/** Same-named PVCs in two namespaces and two PVCs in one: none may read another's backups. */
const REFS = [
  { namespace: 'media', pvc: 'photos' },
  { namespace: 'books', pvc: 'photos' },
  { namespace: 'media', pvc: 'music' },
];

describe('every config the loader accepts: the catalog reads what the writer writes', () => {
  for (const kind of BACKEND_KINDS) {
    for (const url of URLS[kind]) {
      for (const identity of IDENTITIES) {
        const row = `${kind} ${url} ${identity}`;
        it(row, () => {
          let config: ReturnType<typeof loadConfig>;
          try {
            config = configFor(kind, `url: "${url}"\n  identity: "${identity}"`);
          } catch (error) {
            assert.ok(error instanceof ConfigError, String(error));
            assert.ok(!ACCEPTED.has(row), `refused: ${error.message}`);
            assert.ok(
              error.issues.every((i) => i.path === 'repository.url' || i.path === 'repository.identity'),
              error.message,
            );
            return;
          }
          assert.ok(ACCEPTED.has(row), 'the loader accepts a combination the table says it must refuse');
          const backend = backendOf(config);
          const source = configuredSource({ config, secretData: () => ({}), secretName: 'lifeboat-system/repository' });
          try {
            const read = new Set<string>();
            for (const ref of REFS) {
              const location = renderedSecretKeys(config, ref.namespace, ref.pvc)[repositoryVariable(kind)];
              assert.ok(location, 'the writer renders the location');
              const written = [location, ...Object.values(backend.identityAnnotations(config, ref))];
              const found = source.locate(ref);
              assert.equal(found.repository.key, CATALOG_NAME[kind](location), 'the repository the catalog reads');
              assert.ok(written.includes(found.source), `${found.source} in ${written.join(', ')}`);
              read.add(`${found.repository.key} ${found.source}`);
            }
            assert.equal(read.size, REFS.length, 'each PVC has backups of its own');
          } finally {
            source.close();
          }
        });
      }
    }
  }
});
