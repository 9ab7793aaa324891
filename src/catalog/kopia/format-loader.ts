/**
 * Opening the repository on every refresh: read `kopia.repository` (trying each candidate layout), and turn it into
 * a content decryptor. The scrypt/PBKDF2 result is kept per (keyAlgo, uniqueID) and the whole opened state is
 * reused while the format blob's bytes stay the same, so a periodic refresh costs one small read.
 */
import { RepositoryError } from '../types.ts';
import type { BlobLayout } from './blob-layout.ts';
import { type ContentDecryptor, contentDecryptor, deriveFormatKey } from './crypto.ts';
import { FORMAT_BLOB_ID, openRepositoryConfig, parseFormatBlob, type RepositoryConfig } from './format.ts';

export interface OpenRepository {
  /** The layout under which the format blob was found (S3: which prefix spelling). */
  layout: BlobLayout;
  config: RepositoryConfig;
  decryptor: ContentDecryptor;
  /** Base64 uniqueID: identifies the repository, so caches can tell when another one replaced it. */
  uniqueId: string;
}

export interface FormatLoader {
  /** The opened repository; `replaced` is true when a different repository than last time answers here. */
  load(signal?: AbortSignal): Promise<{ repository: OpenRepository; replaced: boolean }>;
}

export function formatLoader(
  layouts: readonly BlobLayout[],
  password: string,
  onKeyDerivation: () => void,
): FormatLoader {
  let current: (OpenRepository & { formatBytes: Buffer }) | undefined;
  let formatKey: { id: string; key: Buffer } | undefined;

  const find = async (signal?: AbortSignal): Promise<{ layout: BlobLayout; bytes: Buffer }> => {
    // The layout that worked last time goes first, so a fallback prefix costs one extra read only once.
    const ordered = current ? [current.layout, ...layouts.filter((l) => l !== current?.layout)] : layouts;
    for (const layout of ordered) {
      const bytes = await layout.get(FORMAT_BLOB_ID, undefined, signal);
      if (bytes !== undefined) return { layout, bytes: Buffer.from(bytes) };
    }
    const where = layouts.map((l) => l.location).join(' or ');
    throw new RepositoryError(
      'repository-not-found',
      layouts[0]?.location ?? where,
      `no Kopia repository at ${where}: the location is reachable but has no ${FORMAT_BLOB_ID}; ` +
        'check KOPIA_REPOSITORY (path, bucket and prefix)',
    );
  };

  return {
    async load(signal) {
      const found = await find(signal);
      if (current && current.layout === found.layout && current.formatBytes.equals(found.bytes)) {
        return { repository: current, replaced: false };
      }
      const where = found.layout.where(FORMAT_BLOB_ID);
      const blob = parseFormatBlob(found.bytes, where);
      const uniqueId = blob.uniqueId.toString('base64');
      // The key depends only on password, salt and algorithm: a re-encrypted config (password change on another
      // client keeps the uniqueID) or a wrong password does not cost another 64 MiB scrypt per refresh.
      const keyId = `${blob.keyAlgo}:${uniqueId}`;
      if (formatKey?.id !== keyId) {
        formatKey = { id: keyId, key: await deriveFormatKey(password, blob.uniqueId, blob.keyAlgo) };
        onKeyDerivation();
      }
      const config = openRepositoryConfig(blob, formatKey.key, where);
      const replaced =
        current !== undefined && (current.uniqueId !== uniqueId || !current.config.masterKey.equals(config.masterKey));
      current = {
        layout: found.layout,
        formatBytes: found.bytes,
        config,
        decryptor: contentDecryptor(config.encryption, config.masterKey),
        uniqueId,
      };
      return { repository: current, replaced };
    },
  };
}
