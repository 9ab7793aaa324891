/** Shortcuts over lifeboat's restic reader that only tests need. */
import { formatResticLocation, type PvcRef, parseResticTemplate } from '../../src/mover/restic/reader/location.ts';
import { openResticRepository, type ResticReaderOptions } from '../../src/mover/restic/reader/repository.ts';
import type { ResticSnapshot } from '../../src/mover/restic/reader/snapshot.ts';
import type { BlobStorage } from '../../src/repository/storage/storage.ts';

/** `openResticRepository` then `listSnapshots`, under one signal. */
export async function listResticSnapshots(
  storage: BlobStorage,
  password: string,
  options: ResticReaderOptions = {},
): Promise<ResticSnapshot[]> {
  const repository = await openResticRepository(storage, password, options);
  return await repository.listSnapshots(options.signal);
}

/** Renders a template for one PVC straight to restic's syntax. Throws LocationError for invalid names. */
export function renderResticTemplate(template: string, ref: PvcRef): string {
  return formatResticLocation(parseResticTemplate(template).render(ref));
}
