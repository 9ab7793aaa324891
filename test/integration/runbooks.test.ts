/**
 * docs/runbooks.md, run as written: every fenced shell block is executed command by command in bash, as an operator
 * types it, against a real kube-apiserver, a real `lifeboat run` (controller, catalog, webhooks) and a real Kopia
 * repository written by the real kopia binary. `lifeboat` on PATH is this checkout's CLI, `kubectl` the machine's.
 *
 * The comment above a block (`<!-- runbook-test: <scenario> -->`) names the scenario below that builds the situation
 * the runbook section is about, gives each `<placeholder>` of the block its value, and checks what the runbook
 * promises after each command. A block without a marker, with an unknown scenario or with a placeholder the scenario
 * does not fill fails this test; `<!-- runbook-test: not run: <why> -->` is the only way to leave one out, and says
 * why. So a runbook cannot drift from the CLI.
 *
 * Nothing else runs in this cluster, so the test plays: the Deployment controller's status, the PVC protection
 * controller (a deleted claim goes), the volume populator and PV controller (a claim with a dataSourceRef becomes
 * Bound), and GitOps (recreates shop/data when it is gone). Own control plane: `lifeboat run` registers cluster-wide
 * webhooks. Real twin: test/integration/realnode-data-path-*.test.ts for PVC protection, the populator and the PV
 * controller; the Deployment controller has no real twin yet (issue 10, item 4).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { RESTORE_SNAPSHOT_ANNOTATION } from '../../src/config/keys.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { describeKubeError } from '../../src/kube/errors.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { spawnLifeboatRun, stopLifeboatRun } from '../support/lifeboat-run.ts';
import { freePort } from '../support/processes.ts';
import { REPO_ROOT } from '../support/testenv.ts';
import {
  createPvc,
  deploymentMounting,
  eventually,
  type KopiaFixture,
  kopiaFixture,
  mergePatch,
  namespace,
  PASSWORD,
  playWorkloadStatus,
  pvcManifest,
  sourceSecret,
  tempDir,
} from './operating-fixtures.ts';

const exec = promisify(execFile);
const RUNBOOKS = join(REPO_ROOT, 'docs', 'runbooks.md');
const MARKER = /^<!-- runbook-test: (.+?) -->$/;
const NOT_RUN = /^not run: (.{10,})$/;

interface RunbookBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The marker's text: a scenario name, or `not run: <why>`. */
  marker?: string;
  /** One entry per command: continuation lines joined, comments and blank lines removed. */
  commands: string[];
}

/** The fenced shell blocks of a markdown text, with the `runbook-test` marker above each. */
function runbookBlocks(markdown: string): RunbookBlock[] {
  const lines = markdown.split('\n');
  const blocks: RunbookBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(sh|bash|shell|console)\s*$/.exec(lines[i] ?? '');
    if (!fence) continue;
    const indent = fence[1]?.length ?? 0;
    let previous = i - 1;
    while (previous >= 0 && (lines[previous] ?? '').trim() === '') previous--;
    const marker = MARKER.exec((lines[previous] ?? '').trim())?.[1];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? ''); j++) body.push((lines[j] ?? '').slice(indent));
    const commands: string[] = [];
    let pending = '';
    for (const raw of body) {
      const text = raw.replace(/\s+#\s.*$/, '').replace(/^#.*$/, '');
      if (text.trimEnd().endsWith('\\')) {
        pending += `${text.trimEnd().slice(0, -1).trimEnd()} `;
        continue;
      }
      const command = `${pending}${text.trim()}`.trim();
      pending = '';
      if (command) commands.push(command);
    }
    blocks.push({ line: i + 1, ...(marker ? { marker } : {}), commands });
    i = j;
  }
  return blocks;
}

interface CommandResult {
  command: string;
  status: number;
  out: string;
  err: string;
}

interface Scenario {
  /** Builds the situation the runbook describes; returns the value of each placeholder of its block. */
  setup(): Promise<Record<string, string>>;
  /** Runs after each command (index in the block) with its result: what the runbook promises at that point. */
  after(index: number, result: CommandResult): Promise<void>;
}

let cp: ControlPlane;
let kube: KubeClient;
let kopia: KopiaFixture;
let scratch: string;
let bin: string;
let configFile: string;
let lifeboat: ChildProcess | undefined;
const ports = { ops: 0, webhook: 0 };
/** Claims GitOps recreates when they are gone, by `namespace/name`. */
const gitops = new Map<string, KubeObject>();
const NAMESPACES = ['shop', 'glass', 'guarded'];
let playing = true;
let players: Promise<void> | undefined;

type Claim = KubeObject & { spec: { dataSourceRef?: { name: string } }; status?: { phase?: string } };

async function playOnce(ns: string): Promise<void> {
  await playWorkloadStatus(kube, ns, ['Deployment']);
  const claims = await kube.list<Claim>('v1', 'PersistentVolumeClaim', { namespace: ns });
  for (const c of claims) {
    const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: c.metadata.name };
    if (c.metadata.deletionTimestamp) await mergePatch(kube, ref, { metadata: { finalizers: null } });
    else if (c.status?.phase !== 'Bound') await mergePatch(kube, ref, { status: { phase: 'Bound' } }, 'status');
  }
  for (const [key, manifest] of gitops) {
    if (key.startsWith(`${ns}/`) && !claims.some((c) => c.metadata.name === manifest.metadata.name)) {
      await createPvc(kube, ns, manifest.metadata.name, { labels: manifest.metadata.labels ?? {} }).catch(() => {});
    }
  }
}

async function startLifeboat(): Promise<void> {
  lifeboat = spawnLifeboatRun({ config: configFile, kubeconfig: cp.kubeconfigPath, ports });
  await eventually('lifeboat ready', async () =>
    (await fetch(`http://127.0.0.1:${ports.ops}/readyz`).catch(() => undefined))?.ok ? true : undefined,
  );
}

async function stopLifeboat(): Promise<void> {
  const child = lifeboat;
  lifeboat = undefined;
  await stopLifeboatRun(child);
}

async function claim(ns: string, name: string): Promise<Claim | undefined> {
  return await kube.get<Claim>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name });
}

async function destination(ns: string, name: string): Promise<KubeObject | undefined> {
  return await kube.get({
    apiVersion: 'volsync.backube/v1alpha1',
    kind: 'ReplicationDestination',
    namespace: ns,
    name,
  });
}

/** A snapshot lifeboat's catalog has read: /exists answers restore with that many snapshots. */
async function catalogSees(ns: string, pvc: string, snapshots: number): Promise<void> {
  await eventually(`the catalog sees ${snapshots} snapshots of ${ns}/${pvc}`, async () => {
    const res = await fetch(`http://127.0.0.1:${ports.ops}/exists/${ns}/${pvc}`);
    const body = (await res.json()) as { snapshots?: number };
    return body.snapshots === snapshots ? true : undefined;
  });
}

const snapshots: Record<string, { id: string; time: string }> = {};

const SCENARIOS: Record<string, Scenario> = {
  // "PVC Plumber / lifeboat down": lifeboat is down, an app must create a labelled PVC now.
  'break-glass': {
    async setup() {
      snapshots.glass = await kopia.snapshot('glass', 'db', new Date('2026-06-01T01:00:00Z'));
      await stopLifeboat();
      await assert.rejects(createPvc(kube, 'glass', 'urgent', { labels: { backup: 'hourly' } }), (error: unknown) => {
        assert.match(describeKubeError(error).message, /failed calling webhook/);
        return true;
      });
      return { '<ns>': 'glass' };
    },
    async after(index, result) {
      if (index === 0) {
        // Break-glass works while lifeboat is down: the API server no longer calls it in this namespace. It matches
        // the webhooks' namespaceSelector against its own cache of namespaces, which has the new label a moment later.
        await eventually(
          'the API server to stop calling lifeboat in the break-glass namespace',
          () => createPvc(kube, 'glass', 'urgent', { labels: { backup: 'hourly' } }),
          5_000,
          20,
        );
      } else if (index === 1) {
        assert.match(result.out, /^glass\s/m);
        await startLifeboat();
        await catalogSees('glass', 'db', 1);
      } else {
        // Back to normal: lifeboat answers again, and restores a PVC whose backups exist. The API server calls it once
        // its namespace cache has lost the label; a dry-run create (the webhooks have no side effects) shows when.
        const claims = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', 'glass');
        await eventually('the API server to call lifeboat again in the namespace', async () => {
          const probe = await kube.http.request<KubeObject>('POST', claims, {
            query: { dryRun: 'All' },
            body: pvcManifest('glass', 'db', { labels: { backup: 'hourly' } }),
          });
          return probe.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION] ? true : undefined;
        });
        const db = await createPvc(kube, 'glass', 'db', { labels: { backup: 'hourly' } });
        assert.equal(db.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], snapshots.glass?.id);
      }
    },
  },

  // "Backup disabled": the guard tripped on label removals that were intended; the operator confirms the trip.
  'mass-deletion-guard': {
    async setup() {
      for (const name of ['one', 'two']) {
        await createPvc(kube, 'guarded', name, { labels: { backup: 'hourly' } });
        await eventually(`${name}'s restore point`, () => destination('guarded', `${name}-restore`));
      }
      for (const name of ['one', 'two']) {
        const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'guarded', name };
        await mergePatch(kube, ref, { metadata: { labels: { backup: null } } });
      }
      const trippedAt = await eventually('the guard trips', async () => {
        const cm = await kube.get<KubeObject & { data?: Record<string, string> }>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: 'lifeboat-system',
          name: 'lifeboat-mass-deletion-guard',
        });
        return cm?.data?.trippedAt && cm.data.held ? cm.data.trippedAt : undefined;
      });
      return { '<trippedAt>': trippedAt };
    },
    async after(index, result) {
      if (index === 0) {
        assert.match(result.out, /trippedAt: "\d+"/);
        assert.match(result.out, /guarded\/(one|two)/, 'the held cleanups are listed');
        return;
      }
      // Confirmed: the held cleanups go through.
      for (const name of ['one', 'two']) {
        await eventually(`${name}'s restore point deleted`, async () =>
          (await destination('guarded', `${name}-restore`)) ? undefined : true,
        );
      }
    },
  },

  // "Point-in-time restore": shop/data restored to the snapshot before 2026-06-01T03:00Z, its Deployment scaled back.
  'point-in-time-restore': {
    async setup() {
      snapshots.older = await kopia.snapshot('shop', 'data', new Date('2026-05-31T02:17:00Z'));
      snapshots.newer = await kopia.snapshot('shop', 'data', new Date('2026-06-02T02:17:00Z'));
      await catalogSees('shop', 'data', 2);
      const manifest = pvcManifest('shop', 'data', { labels: { backup: 'hourly' } });
      gitops.set('shop/data', manifest);
      await eventually('shop/data exists and is Bound', async () =>
        (await claim('shop', 'data'))?.status?.phase === 'Bound' ? true : undefined,
      );
      await eventually('its persistent restore point', () => destination('shop', 'data-restore'));
      await kube.apply(deploymentMounting('shop', 'web', 'data', 2));
      return {};
    },
    async after(index, result) {
      const { older, newer } = snapshots;
      assert.ok(older && newer);
      if (index === 0) assert.match(result.out, /^shop\s+data\s/m);
      if (index === 1) {
        assert.ok(result.out.includes(older.id.slice(0, 8)) && result.out.includes(newer.id.slice(0, 8)), result.out);
      }
      if (index === 2) {
        assert.match(result.out, new RegExp(`snapshot ${older.id}`));
        assert.match(result.out, /Deployment web \(2\)/);
        assert.equal((await claim('shop', 'data'))?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], newer.id);
      }
      if (index === 3) {
        assert.match(result.out, new RegExp(`restore shop/data to snapshot ${older.id}`));
        const restored = await claim('shop', 'data');
        assert.equal(restored?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], older.id);
        const web = await kube.get<KubeObject & { spec: { replicas: number } }>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: 'shop',
          name: 'web',
        });
        assert.equal(web?.spec.replicas, 2, 'scaled back to what it ran before');
      }
    },
  },
};

async function runCommand(command: string): Promise<CommandResult> {
  const env = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: scratch,
    KUBECONFIG: cp.kubeconfigPath,
    KOPIA_REPOSITORY: kopia.url,
    KOPIA_PASSWORD: PASSWORD,
  };
  try {
    const { stdout, stderr } = await exec('bash', ['-c', command], {
      env,
      maxBuffer: 16 * 1024 * 1024,
      // A runbook command that hangs fails with its output instead of holding the file until the runner's timeout.
      timeout: 180_000,
    });
    return { command, status: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { command, status: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

const blocks = runbookBlocks(await readFile(RUNBOOKS, 'utf8'));

describe('the runbooks hold what the test can run', () => {
  it('finds the blocks, comments and continuation lines of a markdown text', () => {
    const parsed = runbookBlocks(
      [
        '<!-- runbook-test: a -->',
        '```sh',
        'lifeboat status   # the table',
        'kubectl get pods \\',
        '  -A',
        '```',
        'text',
        '```sh',
        'rm -rf /',
        '```',
      ].join('\n'),
    );
    assert.deepEqual(parsed, [
      { line: 2, marker: 'a', commands: ['lifeboat status', 'kubectl get pods -A'] },
      { line: 8, commands: ['rm -rf /'] },
    ]);
  });

  it('every block of docs/runbooks.md is tied to a scenario or says why it is not run', () => {
    assert.ok(blocks.filter((b) => b.marker && SCENARIOS[b.marker]).length >= 3);
    for (const block of blocks) {
      const where = `docs/runbooks.md:${block.line}`;
      assert.ok(
        block.marker,
        `${where}: add <!-- runbook-test: <scenario> --> above the block (scenarios here: ${Object.keys(SCENARIOS).join(', ')})`,
      );
      assert.ok(
        SCENARIOS[block.marker] || NOT_RUN.test(block.marker),
        `${where}: "${block.marker}" is no scenario of test/integration/runbooks.test.ts, nor "not run: <why>"`,
      );
      assert.ok(block.commands.length > 0, `${where}: an empty block`);
    }
  });
});

describe('docs/runbooks.md, run against kube-apiserver, lifeboat run and a kopia repository', () => {
  before(async () => {
    cp = await startControlPlane({ crds: 'kopia-fork' });
    kube = new KubeClient(cp.kubeConfig);
    kopia = await kopiaFixture();
    scratch = await tempDir('lifeboat-runbooks-');
    bin = join(scratch, 'bin');
    await mkdir(bin);
    // `lifeboat` as an operator has it on PATH: this checkout's CLI.
    await writeFile(
      join(bin, 'lifeboat'),
      `#!/bin/sh\nexec "${process.execPath}" "${join(REPO_ROOT, 'src', 'cli', 'main.ts')}" "$@"\n`,
    );
    await chmod(join(bin, 'lifeboat'), 0o755);
    for (const ns of ['lifeboat-system', ...NAMESPACES]) await namespace(kube, ns, ns !== 'lifeboat-system');
    await sourceSecret(kube, kopia);
    configFile = join(scratch, 'config.yaml');
    // A guard that trips on two PVCs' label removals at once, so the guard runbook does not need a dozen PVCs.
    await writeFile(
      configFile,
      'namespace: lifeboat-system\ncatalog: { refreshInterval: 1s, staleAfter: 30s }\n' +
        'massDeletionGuard: { threshold: 1, window: 2s }\n',
    );
    ports.ops = await freePort();
    ports.webhook = await freePort();
    await startLifeboat();
    players = (async () => {
      while (playing) {
        for (const ns of NAMESPACES) await playOnce(ns).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
  });

  after(async () => {
    playing = false;
    await players;
    await stopLifeboat();
    kube?.close();
    await cp?.stop();
    await kopia?.repo.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  for (const block of blocks) {
    const scenario = block.marker ? SCENARIOS[block.marker] : undefined;
    if (!scenario) continue;
    it(`docs/runbooks.md:${block.line} (${block.marker})`, async () => {
      // A scenario that failed while lifeboat was stopped must not fail the ones after it.
      if (!lifeboat) await startLifeboat();
      const values = await scenario.setup();
      for (const [index, template] of block.commands.entries()) {
        let command = template;
        for (const [placeholder, value] of Object.entries(values)) command = command.split(placeholder).join(value);
        assert.doesNotMatch(
          command,
          /<[a-zA-Z][\w-]*>/,
          `docs/runbooks.md:${block.line}: no value for a placeholder in "${template}"`,
        );
        const result = await runCommand(command);
        assert.equal(result.status, 0, `\`${command}\` exited ${result.status}:\n${result.err}${result.out}`);
        await scenario.after(index, result);
      }
    });
  }
});
