/**
 * Finding every repository a template can produce (for `lifeboat catalog`): walk the template's base one directory
 * level at a time — never a recursive listing, which on S3 would page through every pack file of every repository —
 * keep the paths the template's pattern accepts, and recover (namespace, pvc) from each.
 */
import type { BlobStorage } from '../../../repository/storage/storage.ts';
import type { PvcRef, ResticLocation, ResticTemplate } from './location.ts';
import { mapLimit } from './map-limit.ts';

/** What FsStorage and S3Storage offer beyond BlobStorage: one-level listings and sub-storages. */
export interface BrowsableStorage extends BlobStorage {
  listDirectories(prefix: string, signal?: AbortSignal): Promise<string[]>;
  child(path: string): BrowsableStorage;
}

export interface DiscoveredRepository {
  /** Path below the template's base, e.g. `team-a/db`. */
  relativePath: string;
  location: ResticLocation;
  /** Usually one; several only for an ambiguous template (see ResticTemplate.match). */
  refs: PvcRef[];
  /** Storage rooted at the repository, sharing the base storage's client. */
  storage: BrowsableStorage;
}

/**
 * Candidate repositories below `base` (a storage rooted at `template.base`). A candidate is a directory whose path
 * fits the template; whether it really holds a repository is for the reader to say (`repository-not-found`).
 */
export async function discoverResticRepositories(
  template: ResticTemplate,
  base: BrowsableStorage,
  signal?: AbortSignal,
): Promise<DiscoveredRepository[]> {
  let paths: string[] = [''];
  for (let level = 0; level < template.depth; level++) {
    const children = await mapLimit(paths, 8, async (path) => {
      const names = await base.listDirectories(path === '' ? '' : `${path}/`, signal);
      return names
        .filter((name) => template.segmentMayMatch(level, name))
        .map((name) => (path === '' ? name : `${path}/${name}`));
    });
    paths = children.flat();
  }
  const found: DiscoveredRepository[] = [];
  for (const relativePath of paths.sort()) {
    const refs = template.matchRelative(relativePath);
    if (refs.length === 0) continue;
    found.push({ relativePath, location: below(template.base, relativePath), refs, storage: base.child(relativePath) });
  }
  return found;
}

function below(base: ResticLocation, relativePath: string): ResticLocation {
  if (base.backend === 'local') {
    return { backend: 'local', path: base.path === '/' ? `/${relativePath}` : `${base.path}/${relativePath}` };
  }
  return { ...base, prefix: base.prefix === '' ? relativePath : `${base.prefix}/${relativePath}` };
}
