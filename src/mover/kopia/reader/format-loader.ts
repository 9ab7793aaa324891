/**
 * Opening the repository on every refresh: read `kopia.repository` (trying each candidate layout), and turn it into
 * a content decryptor. The scrypt/PBKDF2 result is kept per (keyAlgo, uniqueID) and the whole opened state is
 * reused while the format blob's bytes stay the same, so a periodic refresh costs one small read.
 */
import { RepositoryError } from '../../../repository/types.ts';
import type { BlobLayout } from './blob-layout.ts';
import { type ContentDecryptor, contentDecryptor, deriveFormatKey } from './crypto.ts';
import { corrupt } from './errors.ts';
import {
  BLOBCFG_BLOB_ID,
  FORMAT_BLOB_ID,
  openRepositoryConfig,
  parseFormatBlob,
  type RepositoryConfig,
  verifyBlobCfg,
} from './format.ts';

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
  let current: (OpenRepository & { formatBytes: Buffer; blobCfgBytes: Buffer | undefined }) | undefined;
  let formatKey: { id: string; key: Buffer } | undefined;

  const find = async (signal?: AbortSignal): Promise<{ layout: BlobLayout; bytes: Buffer }> => {
    // The layout that worked last time goes first, so a fallback prefix costs one extra read only once.
    const ordered = current ? [current.layout, ...layouts.filter((l) => l !== current?.layout)] : layouts;
    for (const layout of ordered) {
      const bytes = await layout.get(FORMAT_BLOB_ID, undefined, signal);
      if (bytes !== undefined) return { layout, bytes: Buffer.from(bytes) };
    }
    const where = layouts.map((l) => l.location).join(' or ');
    for (const layout of layouts) {
      // Kopia writes kopia.blobcfg before kopia.repository: one without the other is damage, not an empty location.
      if ((await layout.get(BLOBCFG_BLOB_ID, undefined, signal)) !== undefined) {
        throw corrupt(
          layout.where(FORMAT_BLOB_ID),
          `${BLOBCFG_BLOB_ID} exists but ${FORMAT_BLOB_ID} does not: the format blob was lost`,
        );
      }
    }
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
      const blobCfg = await found.layout.get(BLOBCFG_BLOB_ID, undefined, signal);
      const blobCfgBytes = blobCfg === undefined ? undefined : Buffer.from(blobCfg);
      if (
        current &&
        current.layout === found.layout &&
        current.formatBytes.equals(found.bytes) &&
        sameBytes(current.blobCfgBytes, blobCfgBytes)
      ) {
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
      // The blobcfg is sealed with the same key: when it opens, the password is right, and a config that then fails
      // authentication is damage, not a wrong password.
      const blobCfgOpens =
        blobCfgBytes === undefined
          ? undefined
          : verifyBlobCfg(blobCfgBytes, blob, formatKey.key, found.layout.where(BLOBCFG_BLOB_ID));
      const config = openRepositoryConfig(blob, formatKey.key, where, blobCfgOpens === true);
      if (blobCfgOpens === false) {
        throw corrupt(
          found.layout.where(BLOBCFG_BLOB_ID),
          `${BLOBCFG_BLOB_ID} fails authentication although the password opens ${FORMAT_BLOB_ID}: ${BLOBCFG_BLOB_ID} is damaged (Kopia and the movers refuse to open the repository)`,
        );
      }
      const replaced =
        current !== undefined && (current.uniqueId !== uniqueId || !current.config.masterKey.equals(config.masterKey));
      current = {
        layout: found.layout,
        formatBytes: found.bytes,
        blobCfgBytes,
        config,
        decryptor: contentDecryptor(config.encryption, config.masterKey),
        uniqueId,
      };
      return { repository: current, replaced };
    },
  };
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}
