/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules, so that of several lifeboat replicas
 * exactly one reconciles and writes:
 *
 * - A candidate takes the Lease when it has no holder, or when the holder's record has not changed for
 *   `leaseDurationSeconds` as measured by the candidate's own clock since it last saw a change (clock skew between
 *   nodes cannot make a live leader look expired). Every write carries the resourceVersion it read, so of two
 *   candidates racing for an expired Lease only one succeeds.
 * - The leader renews every `retryPeriodMs`. When no renewal has succeeded for `renewDeadlineMs`, or it sees another
 *   holder, it stops leading at once: the signal given to `onStartedLeading` aborts. Because the renew deadline is
 *   shorter than the lease duration, the old leader has stopped before any candidate may take over.
 * - `stop()` aborts the signal, waits (up to the renew deadline) for the leader's work to return, and only then
 *   releases the Lease by clearing holderIdentity, so a successor takes over at once instead of after expiry.
 * - When the leader's work returns or throws on its own, the elector steps down the same way: a replica that holds
 *   the Lease but does no work would block the others forever.
 *
 * An elector runs one term: `run()` resolves when it ends ('stopped', 'lost', 'work-ended'). The caller decides what
 * follows; exiting the process and letting Kubernetes restart it is the safe default, since nothing of the old term
 * survives.
 */
import { sleep } from './backoff.ts';
import type { KubeClient } from './client.ts';
import { formatKubeError, isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { type Logger, silentLogger } from './log.ts';
import { microTime } from './time.ts';

export interface LeaderElectionOptions {
  namespace: string;
  /** The Lease's name, shared by all candidates. */
  name: string;
  /** This candidate: unique per replica (pod name plus a random suffix). */
  identity: string;
  /** How long a silent holder is still respected; default 15. */
  leaseDurationSeconds?: number;
  /** The leader stops leading when renewals failed for this long; default 10 s. */
  renewDeadlineMs?: number;
  /** Interval of acquire attempts and renewals; default 2 s. */
  retryPeriodMs?: number;
  /**
   * Starts the leader's work; `signal` aborts when leadership ends. May return a promise for the work's lifetime:
   * its end (or throw) makes the elector step down.
   */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once when leadership ends (after the signal aborted). */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (undefined: nobody holds it). */
  onNewLeader?: (identity: string | undefined) => void;
  logger?: Logger;
}

export type LeaderElectionEnd = 'stopped' | 'lost' | 'work-ended';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; [key: string]: unknown };
  spec?: LeaseSpec;
}

type Attempt = 'holding' | 'held-by-other' | 'failed';

export class LeaderElector {
  private readonly kube: KubeClient;
  private readonly opts: LeaderElectionOptions;
  private readonly log: Logger;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly path: string;
  private readonly stopping = new AbortController();
  private running: Promise<LeaderElectionEnd> | undefined;
  private leading = false;
  /** The Lease as last read or written: its resourceVersion makes the next write conditional. */
  private lease: Lease | undefined;
  /** The holder's record as last seen, and when (monotonic ms) it last changed. */
  private observedRecord = '';
  private observedAt = 0;
  private observedHolder: string | undefined;

  constructor(kube: KubeClient, opts: LeaderElectionOptions) {
    this.kube = kube;
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!opts.identity) throw new Error('leader election needs an identity');
    if (!Number.isInteger(this.leaseDurationSeconds) || this.leaseDurationSeconds < 1) {
      throw new Error('leaseDurationSeconds must be a whole number ≥ 1');
    }
    // client-go's constraints: the leader must give up before its lease can expire for others, and must get more
    // than one renewal attempt (with jitter) within its deadline.
    if (this.renewDeadlineMs >= this.leaseDurationSeconds * 1000) {
      throw new Error('renewDeadlineMs must be shorter than leaseDurationSeconds');
    }
    if (this.retryPeriodMs * 1.2 >= this.renewDeadlineMs) {
      throw new Error('retryPeriodMs × 1.2 must be shorter than renewDeadlineMs');
    }
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.namespace)}/leases/${encodeURIComponent(opts.name)}`;
  }

  /** Campaigns, leads, and resolves when this term is over. Calling it again returns the same term. */
  run(): Promise<LeaderElectionEnd> {
    this.running ??= this.campaign();
    return this.running;
  }

  /** Ends the term: a leader stops its work and releases the Lease. Resolves when done. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed in the Lease. */
  get leader(): string | undefined {
    return this.observedHolder;
  }

  private async campaign(): Promise<LeaderElectionEnd> {
    const stop = this.stopping.signal;
    this.log.info('campaigning for leadership', { lease: this.opts.name, identity: this.opts.identity });
    while (!stop.aborted) {
      const started = performance.now();
      const attempt = await this.tryAcquireOrRenew(stop, this.renewDeadlineMs);
      if (attempt === 'holding') return await this.lead(started);
      await sleep(this.retryPeriodMs * (1 + 0.2 * Math.random()), stop);
    }
    return 'stopped';
  }

  private async lead(acquiredAttemptStart: number): Promise<LeaderElectionEnd> {
    if (this.stopping.signal.aborted) {
      // Stopped while the winning attempt was in flight: hand the Lease back without starting any work.
      await this.release();
      return 'stopped';
    }
    const term = new AbortController();
    let end: LeaderElectionEnd | undefined;
    const finish = (why: LeaderElectionEnd) => {
      if (end) return;
      end = why;
      this.leading = false;
      term.abort();
    };
    // Counted from when the last successful attempt was sent: the server's renewTime is no earlier than that.
    let deadline = this.armDeadline(acquiredAttemptStart, () => finish('lost'));
    const onStop = () => finish('stopped');
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    this.leading = true;
    this.log.info('started leading', { lease: this.opts.name, identity: this.opts.identity });

    const work = (async () => this.opts.onStartedLeading(term.signal))().then(
      () => finish('work-ended'),
      (error: unknown) => {
        this.log.error('leader work failed', { lease: this.opts.name, error: formatKubeError(error) });
        finish('work-ended');
      },
    );

    while (!end) {
      await sleep(this.retryPeriodMs, term.signal);
      if (end) break;
      const started = performance.now();
      const attempt = await this.tryAcquireOrRenew(term.signal, this.renewDeadlineMs);
      if (end) break;
      if (attempt === 'holding') {
        clearTimeout(deadline);
        deadline = this.armDeadline(started, () => finish('lost'));
      } else if (attempt === 'held-by-other') {
        finish('lost');
      }
    }
    clearTimeout(deadline);
    this.stopping.signal.removeEventListener('abort', onStop);
    const why = end as LeaderElectionEnd;

    if (why === 'lost') {
      this.log.error('leadership lost', { lease: this.opts.name, identity: this.opts.identity });
    } else {
      // Hand over only once our work has returned; otherwise let the Lease expire so terms never overlap.
      const giveUp = new AbortController();
      const returned = await Promise.race([
        work.then(() => true),
        sleep(this.renewDeadlineMs, giveUp.signal).then(() => false),
      ]);
      giveUp.abort();
      if (returned) await this.release();
      else this.log.warn('leader work did not return; leaving the Lease to expire', { lease: this.opts.name });
    }
    this.log.info('stopped leading', { lease: this.opts.name, identity: this.opts.identity, reason: why });
    try {
      this.opts.onStoppedLeading?.();
    } catch (error) {
      this.log.error('onStoppedLeading failed', { error: formatKubeError(error) });
    }
    return why;
  }

  private armDeadline(attemptStart: number, onExpire: () => void): NodeJS.Timeout {
    const remaining = attemptStart + this.renewDeadlineMs - performance.now();
    return setTimeout(onExpire, Math.max(0, remaining));
  }

  /** One round: make sure we hold the Lease (create, take over, or renew), or learn who does. */
  private async tryAcquireOrRenew(signal: AbortSignal, timeoutMs: number): Promise<Attempt> {
    const request = { signal, timeoutMs };
    try {
      // A leader renews straight from its last write: one request per renewal. A conflict means someone else wrote;
      // only then read the Lease to see who.
      if (this.leading && this.lease?.spec?.holderIdentity === this.opts.identity) {
        try {
          this.remember(await this.kube.http.request<Lease>('PUT', this.path, { ...request, body: this.renewed() }));
          return 'holding';
        } catch (error) {
          if (!isConflict(error) && !isNotFound(error)) throw error;
        }
      }

      let current: Lease;
      try {
        current = await this.kube.http.request<Lease>('GET', this.path, request);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        try {
          this.remember(
            await this.kube.http.request<Lease>('POST', this.path.slice(0, this.path.lastIndexOf('/')), {
              ...request,
              body: this.fresh(),
            }),
          );
          return 'holding';
        } catch (createError) {
          if (isAlreadyExists(createError)) return 'failed';
          throw createError;
        }
      }
      this.observe(current);
      const holder = current.spec?.holderIdentity;
      if (holder && holder !== this.opts.identity && !this.expired(current)) return 'held-by-other';
      this.lease = current;
      this.remember(await this.kube.http.request<Lease>('PUT', this.path, { ...request, body: this.renewed() }));
      return 'holding';
    } catch (error) {
      if (signal.aborted) return 'failed';
      if (isConflict(error)) {
        this.log.debug('lease changed under us', { lease: this.opts.name });
      } else {
        this.log.warn(this.leading ? 'renewing the lease failed' : 'acquiring the lease failed', {
          lease: this.opts.name,
          error: formatKubeError(error),
        });
      }
      return 'failed';
    }
  }

  /** Our record: renewed if we hold it already, taken over (one more transition) otherwise. */
  private renewed(): Lease {
    const previous = this.lease?.spec ?? {};
    const now = microTime();
    const ours = previous.holderIdentity === this.opts.identity;
    const lease = this.lease ?? this.fresh();
    return {
      ...lease,
      spec: {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: ours && previous.acquireTime ? previous.acquireTime : now,
        renewTime: now,
        leaseTransitions: (previous.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
  }

  private fresh(): Lease {
    const now = microTime();
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.opts.name, namespace: this.opts.namespace },
      spec: {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
    };
  }

  /** A Lease we wrote: it is the new observed record. */
  private remember(lease: Lease): void {
    this.lease = lease;
    this.observe(lease);
  }

  private observe(lease: Lease): void {
    const record = JSON.stringify(lease.spec ?? {});
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = performance.now();
    }
    const holder = lease.spec?.holderIdentity || undefined;
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      this.log.info('lease holder changed', { lease: this.opts.name, holder: holder ?? '(none)' });
      this.opts.onNewLeader?.(holder);
    }
  }

  private expired(lease: Lease): boolean {
    const seconds = lease.spec?.leaseDurationSeconds ?? this.leaseDurationSeconds;
    return performance.now() > this.observedAt + seconds * 1000;
  }

  /**
   * Clears holderIdentity so a successor need not wait for expiry. Conditional on our last write; on a conflict the
   * Lease is read once more and released if it is still ours: a renewal cut short by the stop may have reached the
   * server (a newer resourceVersion we never saw) and must not turn a release into a wait for expiry.
   */
  private async release(): Promise<void> {
    const ours = (lease: Lease | undefined): lease is Lease => lease?.spec?.holderIdentity === this.opts.identity;
    if (!ours(this.lease)) return;
    try {
      try {
        this.remember(await this.putReleased(this.lease));
      } catch (error) {
        if (!isConflict(error)) throw error;
        const current = await this.kube.http.request<Lease>('GET', this.path, { timeoutMs: this.renewDeadlineMs });
        // Only a Lease still naming us is released; someone else's is left alone.
        if (!ours(current)) return;
        this.remember(await this.putReleased(current));
      }
      this.log.info('released the lease', { lease: this.opts.name, identity: this.opts.identity });
    } catch (error) {
      this.log.warn('releasing the lease failed; it will expire', {
        lease: this.opts.name,
        error: formatKubeError(error),
      });
    }
  }

  private putReleased(lease: Lease): Promise<Lease> {
    const now = microTime();
    return this.kube.http.request<Lease>('PUT', this.path, {
      timeoutMs: this.renewDeadlineMs,
      body: {
        ...lease,
        spec: {
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: lease.spec?.leaseTransitions ?? 0,
        },
      },
    });
  }
}
