/** A tier's retention, as the config holds it and every mover writes it in its own spelling. */
export interface Retention {
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** Keep the newest N snapshots whatever their age (restic `retain.last`, kopia `retain.latest`). */
  last?: number;
}

/** Retention counts every mover names alike; `last` is spelled per mover. */
export function retentionCounts(retain: Retention): Omit<Retention, 'last'> {
  const { hourly, daily, weekly, monthly, yearly } = retain;
  return Object.fromEntries(
    Object.entries({ hourly, daily, weekly, monthly, yearly }).filter(([, v]) => v !== undefined),
  ) as Omit<Retention, 'last'>;
}
