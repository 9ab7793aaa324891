/**
 * The webhook's serving certificate and the CA bundle the API server trusts, kept in one Secret and followed by every
 * replica without restarts.
 *
 * Two modes:
 * - `self-signed`: lifeboat keeps its own CA. Keys: `tls.crt`, `tls.key` (serving pair), `ca.crt` (trust bundle, the
 *   signing CA first) and `ca.key` (the signing CA's key, needed to renew the serving certificate without changing the
 *   CA). Any replica may create or renew the Secret: creation handles AlreadyExists, updates carry the resourceVersion
 *   they were planned from, and a conflict means "re-read and plan again", so two replicas never overwrite each
 *   other. Renewal follows certificate-plan.ts (trust first, serve second, forget last), so rotation fails no request.
 *   A deleted Secret is re-created from the last copy this process read, keeping the CA (nothing to re-trust).
 * - `cert-manager`: a cert-manager Certificate writes the Secret (`tls.crt`, `tls.key`, `ca.crt`); lifeboat only reads
 *   it and hot-swaps. The Issuer must write `ca.crt` (a CA or self-signed Issuer does).
 *
 * Every replica watches the Secret through the process's shared informer cache (kube/informers.ts) and runs a pass on
 * every change it sees, when a renewal is due, and every `recheckIntervalMs` (reading the cache, not the API server);
 * it tells listeners when the serving pair or the bundle changed: the server hot-swaps, the leader re-applies the
 * webhook configurations' caBundle. Writes never trust the cache alone: a Secret the cache lacks is confirmed missing
 * with a GET before it is created, and a write that lost a race re-reads with a GET before planning again.
 * A missing or broken Secret never drops the pair already in use (docs/design.md#credentials-that-crash-the-process:
 * Secret churn must not stop serving).
 * Key material is never logged.
 */
import { X509Certificate } from 'node:crypto';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../config/keys.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { formatKubeError, isAlreadyExists, isConflict } from '../kube/errors.ts';
import { type InformerCache, namedInformer } from '../kube/informers.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { type CertificatePolicy, planCertificates, type StoredCertificates } from './certificate-plan.ts';
import { createAuthority, issueCertificate, loadAuthority, splitCertificates } from './pki.ts';

export interface CertificateMaterial {
  certPem: string;
  keyPem: string;
  /** PEM bundle for the webhook configurations' caBundle. */
  caBundlePem: string;
  notAfter: Date;
}

interface CommonOptions {
  kube: KubeClient;
  namespace: string;
  secretName: string;
  /** The process's shared cache, which watches the Secret (started by its owner). */
  cache: InformerCache;
  /**
   * How often every replica re-checks what its cache holds without a change event (a listener to retry, a watch that
   * fell behind). Default 60 s.
   */
  recheckIntervalMs?: number;
  logger?: Logger;
  /** Milliseconds since the epoch; also the issuing time of new certificates. */
  now?: () => number;
}

export interface SelfSignedOptions extends CommonOptions {
  mode: 'self-signed';
  /** Names the serving certificate covers, e.g. `lifeboat.lifeboat-system.svc`; the first is the common name. */
  dnsNames: string[];
  ipAddresses?: string[];
  /** Default 5 years. */
  caValidityMs?: number;
  /** Default 1 year. */
  leafValidityMs?: number;
  /** Default 2/3. */
  renewFraction?: number;
  /**
   * How long a new CA is trusted before a certificate it signed is served, and how long old CAs stay trusted after.
   * Must cover the caBundle update plus every replica's next pass. Default 10 minutes; at least 2 recheck intervals.
   */
  overlapMs?: number;
}

export interface CertManagerOptions extends CommonOptions {
  mode: 'cert-manager';
}

export type CertificateOptions = SelfSignedOptions | CertManagerOptions;

export type CertificateListener = (material: CertificateMaterial) => void | Promise<void>;

const YEAR = 365 * 24 * 3_600_000;
const CA_ROTATED_AT = 'lifeboat.dev/ca-rotated-at';
const LEAF_ISSUED_AT = 'lifeboat.dev/leaf-issued-at';
const ATTEMPTS = 5;

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function unb64(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

function timestamp(value: string | undefined): number | undefined {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function storedFrom(secret: SecretObject): StoredCertificates {
  const data = secret.data ?? {};
  const annotations = secret.metadata.annotations ?? {};
  const stored: StoredCertificates = {};
  const set = <K extends keyof StoredCertificates>(key: K, value: StoredCertificates[K] | undefined) => {
    if (value !== undefined) stored[key] = value;
  };
  set('leafPem', unb64(data['tls.crt']));
  set('leafKeyPem', unb64(data['tls.key']));
  set('bundlePem', unb64(data['ca.crt']));
  set('caKeyPem', unb64(data['ca.key']));
  set('caRotatedAtMs', timestamp(annotations[CA_ROTATED_AT]));
  set('leafIssuedAtMs', timestamp(annotations[LEAF_ISSUED_AT]));
  return stored;
}

/** The serving material in a Secret, or why it is unusable. */
function materialFrom(stored: StoredCertificates): CertificateMaterial | string {
  const { leafPem, leafKeyPem, bundlePem } = stored;
  if (!leafPem || !leafKeyPem) return 'tls.crt or tls.key is missing';
  if (!bundlePem || splitCertificates(bundlePem).length === 0) {
    return 'ca.crt is missing or holds no certificate (with cert-manager, use an Issuer that writes ca.crt)';
  }
  try {
    const cert = new X509Certificate(leafPem);
    return { certPem: leafPem, keyPem: leafKeyPem, caBundlePem: bundlePem, notAfter: new Date(cert.validTo) };
  } catch (error) {
    return `tls.crt is not a PEM certificate (${(error as Error).message})`;
  }
}

export class WebhookCertificates {
  private readonly options: CertificateOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly recheckIntervalMs: number;
  private readonly listeners = new Set<CertificateListener>();
  private material: CertificateMaterial | undefined;
  /** What listeners last accepted: certificate + bundle. */
  private published = '';
  /** The last Secret contents this process read or wrote, to re-create a deleted Secret without a new CA. */
  private lastStored: StoredCertificates | undefined;
  private forceCaRotation = false;
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  private running: Promise<CertificateMaterial | undefined> | undefined;
  private failures = 0;
  private waiters: ((m: CertificateMaterial) => void)[] = [];
  /** The pass that starts when the running one ends. */
  private queued: Promise<CertificateMaterial | undefined> | undefined;
  /** This process's last update of the Secret: what it replaced and what the API server answered. */
  private lastWrite: { replaced: string | undefined; secret: SecretObject } | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(options: CertificateOptions) {
    this.options = options;
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.recheckIntervalMs = options.recheckIntervalMs ?? 60_000;
    if (options.mode === 'self-signed') {
      if (options.dnsNames.length === 0 && (options.ipAddresses ?? []).length === 0) {
        throw new Error('the serving certificate needs at least one DNS name or IP address');
      }
      if (this.policy().overlapMs < 2 * this.recheckIntervalMs) {
        throw new Error(
          `overlapMs (${this.policy().overlapMs}) must be at least two recheck intervals (${2 * this.recheckIntervalMs}) so every replica reads a new CA before it is used`,
        );
      }
    }
  }

  /** The material in use, once the first read succeeded. */
  current(): CertificateMaterial | undefined {
    return this.material;
  }

  /**
   * Called on every change of the serving pair or the bundle, starting with the first read; a listener added later
   * reads `current()` for what is already in use. A listener that throws is called again on the next pass.
   */
  onChange(listener: CertificateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first material (a process waits here before listening; it does not crash without it). */
  ready(): Promise<CertificateMaterial> {
    if (this.material) return Promise.resolve(this.material);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Starts the read/renew loop (first pass at once). */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.schedule(0);
  }

  /** Stops the loop and the passes on change; a pass in flight finishes but schedules nothing more. */
  stop(): void {
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.abort.abort();
  }

  /** Starts a CA rotation now (self-signed mode), e.g. after a suspected key leak; completes over two overlaps. */
  async rotateCa(): Promise<CertificateMaterial | undefined> {
    if (this.options.mode !== 'self-signed') throw new Error('the CA belongs to cert-manager in cert-manager mode');
    this.forceCaRotation = true;
    return await this.sync();
  }

  /**
   * One pass: read the Secret; in self-signed mode create or renew it as the plan says; tell listeners about a
   * change. Concurrent calls share one pass.
   */
  sync(): Promise<CertificateMaterial | undefined> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // The pass running may have read before this call: one more after it, shared by every caller until it starts.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  /** The watch saw the Secret change: a pass (after the one running, which may have read before the change). */
  private onSecretChange(): void {
    if (this.abort.signal.aborted) return;
    this.sync().catch((error: unknown) => {
      this.log.warn('admission certificates: pass after a change failed; keeping the certificate in use', {
        error: (error as Error).message,
      });
    });
  }

  /**
   * The Secret as the shared cache holds it, once its first list finished; the first call subscribes to its changes.
   * Undefined: the cache holds none.
   */
  private async cached(): Promise<SecretObject | undefined> {
    const informer = this.options.cache.informer(namedInformer(this.ref()));
    this.unsubscribe ??= informer.on(() => this.onSecretChange());
    await informer.waitForSync({ signal: this.abort.signal });
    const secret = informer.get(`${this.options.namespace}/${this.options.secretName}`) as SecretObject | undefined;
    // The watch has not brought this process's own last write yet: what the API server answered to it is newer.
    const last = this.lastWrite;
    if (secret && last && secret.metadata.resourceVersion === last.replaced) return last.secret;
    return secret;
  }

  /** The Secret as the API server holds it now (before a write the cache cannot vouch for). */
  private async fresh(): Promise<SecretObject | undefined> {
    return await this.options.kube.get<SecretObject>(this.ref());
  }

  private policy(): CertificatePolicy {
    const o = this.options as SelfSignedOptions;
    return {
      dnsNames: o.dnsNames,
      ipAddresses: o.ipAddresses ?? [],
      caValidityMs: o.caValidityMs ?? 5 * YEAR,
      leafValidityMs: o.leafValidityMs ?? YEAR,
      renewFraction: o.renewFraction ?? 2 / 3,
      overlapMs: o.overlapMs ?? 10 * 60_000,
    };
  }

  private ref() {
    return { apiVersion: 'v1', kind: 'Secret', name: this.options.secretName, namespace: this.options.namespace };
  }

  private async pass(): Promise<CertificateMaterial | undefined> {
    const stored =
      this.options.mode === 'self-signed' ? await this.reconcileSelfSigned() : await this.readCertManager();
    if (stored) {
      const material = materialFrom(stored);
      if (typeof material === 'string') {
        this.log.warn('admission certificates: the Secret is unusable; keeping the certificate in use', {
          secret: `${this.options.namespace}/${this.options.secretName}`,
          problem: material,
        });
      } else {
        await this.publish(material);
      }
    }
    return this.material;
  }

  private async readCertManager(): Promise<StoredCertificates | undefined> {
    const secret = await this.cached();
    if (!secret) {
      this.log.warn('admission certificates: the cert-manager Secret does not exist (yet)', {
        secret: `${this.options.namespace}/${this.options.secretName}`,
      });
      return undefined;
    }
    return storedFrom(secret);
  }

  private async reconcileSelfSigned(): Promise<StoredCertificates> {
    const policy = this.policy();
    for (let attempt = 1; ; attempt++) {
      // The cache first; a GET when it lacks the Secret (it may not have seen it yet) or after a lost race.
      const secret = (attempt === 1 ? await this.cached() : undefined) ?? (await this.fresh());
      const current = secret ? storedFrom(secret) : (this.lastStored ?? {});
      const nowMs = this.now();
      const plan = planCertificates(current, policy, nowMs, { forceCaRotation: this.forceCaRotation });
      if (secret && !plan.changed) {
        this.lastStored = current;
        return current;
      }
      const next = plan.changed ? await this.generate(current, plan, policy, nowMs) : current;
      try {
        await this.write(secret, next);
        this.forceCaRotation = false;
        this.lastStored = next;
        this.log.info('admission certificates: Secret written', {
          secret: `${this.options.namespace}/${this.options.secretName}`,
          created: secret === undefined,
          reasons: (secret ? plan.reasons : ['the Secret does not exist', ...plan.reasons]).join('; '),
        });
        return next;
      } catch (error) {
        // Someone else (another replica) wrote first: read what they wrote and plan again from it.
        if ((isAlreadyExists(error) || isConflict(error)) && attempt < ATTEMPTS) {
          this.log.debug('admission certificates: another replica wrote first; re-reading', { attempt });
          continue;
        }
        throw new Error(
          `writing Secret ${this.options.namespace}/${this.options.secretName}: ${formatKubeError(error)}`,
        );
      }
    }
  }

  private async generate(
    current: StoredCertificates,
    plan: ReturnType<typeof planCertificates>,
    policy: CertificatePolicy,
    nowMs: number,
  ): Promise<StoredCertificates> {
    const now = new Date(nowMs);
    const next: StoredCertificates = { ...current };
    let signingPem = splitCertificates(current.bundlePem ?? '')[0];
    // splitCertificates ends every block with a newline; the bundle is their concatenation.
    let authority = undefined as Awaited<ReturnType<typeof createAuthority>> | undefined;
    if (plan.rotateCa) {
      authority = await createAuthority(`lifeboat-webhook-ca-${nowMs}`, policy.caValidityMs, now);
      signingPem = splitCertificates(authority.certPem)[0];
      next.caKeyPem = authority.keyPem;
      next.caRotatedAtMs = nowMs;
    }
    if (!signingPem) throw new Error('no signing CA after planning (bug)');
    next.bundlePem = [signingPem, ...plan.keepCas].join('');
    if (plan.issueLeaf) {
      authority ??= await loadAuthority(signingPem, current.caKeyPem ?? '');
      const leaf = await issueCertificate(authority, {
        commonName: policy.dnsNames[0] ?? policy.ipAddresses[0] ?? 'lifeboat-webhook',
        dnsNames: [...policy.dnsNames],
        ipAddresses: [...policy.ipAddresses],
        usage: 'server',
        validForMs: policy.leafValidityMs,
        now,
      });
      next.leafPem = leaf.certPem;
      next.leafKeyPem = leaf.keyPem;
      next.leafIssuedAtMs = nowMs;
    }
    return next;
  }

  private async write(existing: SecretObject | undefined, stored: StoredCertificates): Promise<void> {
    const kube = this.options.kube;
    const data: Record<string, string> = {
      'tls.crt': b64(stored.leafPem ?? ''),
      'tls.key': b64(stored.leafKeyPem ?? ''),
      'ca.crt': b64(stored.bundlePem ?? ''),
      'ca.key': b64(stored.caKeyPem ?? ''),
    };
    const annotations: Record<string, string> = {};
    if (stored.caRotatedAtMs !== undefined) annotations[CA_ROTATED_AT] = new Date(stored.caRotatedAtMs).toISOString();
    if (stored.leafIssuedAtMs !== undefined) {
      annotations[LEAF_ISSUED_AT] = new Date(stored.leafIssuedAtMs).toISOString();
    }
    if (!existing) {
      const body: SecretObject = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: {
          name: this.options.secretName,
          namespace: this.options.namespace,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
          annotations,
        },
        data,
      };
      const path = await kube.resources.collectionPath('v1', 'Secret', this.options.namespace);
      await kube.http.request('POST', path, { body });
      return;
    }
    // A full update that carries the resourceVersion it was planned from: the API server refuses it (409) when
    // another replica wrote in between. Other keys and metadata of the Secret are kept.
    const body: SecretObject = {
      ...existing,
      metadata: {
        ...existing.metadata,
        annotations: { ...existing.metadata.annotations, ...annotations },
      },
      data: { ...existing.data, ...data },
    };
    delete body.metadata.managedFields;
    const path = await kube.resources.objectPath('v1', 'Secret', this.options.secretName, this.options.namespace);
    const written = await kube.http.request<SecretObject>('PUT', path, { body });
    this.lastWrite = { replaced: existing.metadata.resourceVersion, secret: written };
  }

  private async publish(material: CertificateMaterial): Promise<void> {
    this.material = material;
    for (const resolve of this.waiters.splice(0)) resolve(material);
    const key = `${material.certPem}\n${material.caBundlePem}`;
    if (key === this.published) return;
    let ok = true;
    for (const listener of this.listeners) {
      try {
        await listener(material);
      } catch (error) {
        ok = false;
        this.log.warn('admission certificates: a listener failed; it is called again on the next pass', {
          error: (error as Error).message,
        });
      }
    }
    // Only a change every listener took counts as published, so a failed caBundle update is retried.
    if (ok) this.published = key;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.sync()
        .then(() => {
          this.failures = 0;
          if (this.active) this.schedule(this.nextDelay());
        })
        .catch((error: unknown) => {
          if (!this.active) return;
          this.failures++;
          this.log.warn('admission certificates: pass failed; keeping the certificate in use', {
            error: (error as Error).message,
            failures: this.failures,
          });
          this.schedule(Math.min(this.recheckIntervalMs, 1_000 * 2 ** Math.min(this.failures, 6)));
        });
    }, delayMs);
    this.timer.unref();
  }

  private nextDelay(): number {
    if (this.options.mode !== 'self-signed' || !this.lastStored) return this.recheckIntervalMs;
    const plan = planCertificates(this.lastStored, this.policy(), this.now());
    return Math.max(1_000, Math.min(this.recheckIntervalMs, plan.nextCheckAtMs - this.now()));
  }
}
