/**
 * Reading one content out of its pack (kopia's source, repo/format and repo/content): a ranged read of `packedLength`
 * bytes at the
 * entry's absolute offset, AEAD-open with the content's iv, then undo content compression.
 */
import type { BlobLayout } from './blob-layout.ts';
import { decompressContent, hex, UnsupportedCompressionError } from './compression.ts';
import { AuthenticationError, type ContentDecryptor, contentIv } from './crypto.ts';
import { corrupt, unsupported } from './errors.ts';
import type { IndexEntry } from './index-blob.ts';

/** A blob the index (or a listing) named is gone: usually maintenance deleting it after a compaction. */
export class MissingBlobError extends Error {
  override readonly name = 'MissingBlobError';
  readonly blobId: string;
  constructor(blobId: string, message: string) {
    super(message);
    this.blobId = blobId;
  }
}

export async function readContent(
  layout: BlobLayout,
  decryptor: ContentDecryptor,
  entry: IndexEntry,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const where = `${layout.where(entry.packBlobId)} (content ${entry.contentId})`;
  if (entry.encryptionKeyId !== 0) {
    throw unsupported(where, `content uses encryption key #${entry.encryptionKeyId}; only key 0 exists in Kopia 0.21`);
  }
  const sealed = await layout.get(entry.packBlobId, { offset: entry.packOffset, length: entry.packedLength }, signal);
  if (sealed === undefined) {
    throw new MissingBlobError(entry.packBlobId, `pack ${entry.packBlobId} named by the index does not exist`);
  }
  if (sealed.length !== entry.packedLength) {
    throw corrupt(
      where,
      `pack is truncated: read ${sealed.length} of ${entry.packedLength} bytes at ${entry.packOffset}`,
    );
  }
  let plain: Uint8Array;
  try {
    plain = decryptor.decrypt(sealed, contentIv(entry.contentId));
  } catch (error) {
    if (error instanceof AuthenticationError) {
      throw corrupt(
        where,
        'content fails authentication although the password was accepted: the pack is damaged',
        error,
      );
    }
    throw corrupt(where, 'content cannot be decrypted', error);
  }
  try {
    return decompressContent(plain, entry.compressionHeaderId);
  } catch (error) {
    if (error instanceof UnsupportedCompressionError) {
      throw unsupported(where, `${error.message} (compression ${hex(entry.compressionHeaderId)})`);
    }
    throw corrupt(where, `content does not decompress: ${(error as Error).message}`, error);
  }
}
