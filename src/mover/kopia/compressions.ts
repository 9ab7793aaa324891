/**
 * Compression names kopia 0.22 (bundled with the perfectra1n/volsync fork) accepts for new snapshots. VolSync passes
 * the value through unchecked and the mover fails on an unknown one, so lifeboat checks it up front. The deprecated
 * `zstd-best-compression` and `lz4` are left out: kopia refuses them for new data.
 */
export const KOPIA_COMPRESSIONS: readonly string[] = [
  'none',
  'deflate-best-compression',
  'deflate-best-speed',
  'deflate-default',
  'gzip',
  'gzip-best-compression',
  'gzip-best-speed',
  'pgzip',
  'pgzip-best-compression',
  'pgzip-best-speed',
  's2-better',
  's2-default',
  's2-parallel-4',
  's2-parallel-8',
  'zstd',
  'zstd-better-compression',
  'zstd-fastest',
];
