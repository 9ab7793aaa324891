/**
 * `kopia.repository`: the plain JSON format blob and the encrypted repository config inside it
 * (kopia's source, repo/format and repo/content). Everything this reader does not understand is refused as
 * 'unsupported' rather
 * than guessed at.
 */
import { RepositoryError } from '../../../repository/types.ts';
import {
  AuthenticationError,
  CONTENT_ENCRYPTIONS,
  type ContentEncryption,
  decryptFormatBlock,
  isSupportedKeyAlgorithm,
} from './crypto.ts';
import { corrupt, unsupported } from './errors.ts';

export const FORMAT_BLOB_ID = 'kopia.repository';
/** Blob retention settings, encrypted with the same key as the repository config; Kopia verifies it on every open. */
export const BLOBCFG_BLOB_ID = 'kopia.blobcfg';

export interface FormatBlob {
  uniqueId: Buffer;
  keyAlgo: string;
  encryptedBlockFormat: Buffer;
  buildVersion: string;
}

export interface RepositoryConfig {
  /** 1 (legacy index v1, no epochs), 2 or 3. */
  version: number;
  indexVersion: number;
  encryption: ContentEncryption;
  masterKey: Buffer;
  hash: string;
  /** Epoch index manager in use (format v2/v3); otherwise the legacy v0 index manager with compaction logs. */
  epochsEnabled: boolean;
}

/** Features this reader understands (Kopia's own list in repo/open.go). */
const KNOWN_FEATURES = new Set(['index-v1', 'index-v2']);

export function parseFormatBlob(bytes: Uint8Array, location: string): FormatBlob {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch (error) {
    throw corrupt(location, `${FORMAT_BLOB_ID} is not JSON; is this a Kopia repository?`, error);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw corrupt(location, `${FORMAT_BLOB_ID} is JSON but not an object; is this a Kopia repository?`);
  }
  const { uniqueID, keyAlgo, encryption, encryptedBlockFormat, buildVersion } = json;
  if (typeof uniqueID !== 'string' || typeof encryptedBlockFormat !== 'string') {
    throw corrupt(location, `${FORMAT_BLOB_ID} lacks uniqueID or encryptedBlockFormat`);
  }
  // Kopia decodes these byte fields as strict standard base64 and refuses to open otherwise; a lenient decoder would
  // turn a damaged character into different bytes, and the damage would then look like a wrong password.
  const uniqueId = strictBase64(uniqueID);
  const sealed = strictBase64(encryptedBlockFormat);
  if (!uniqueId || !sealed) {
    throw corrupt(location, `${FORMAT_BLOB_ID} has a uniqueID or encryptedBlockFormat that is not valid base64`);
  }
  if (encryption !== undefined && encryption !== 'AES256_GCM') {
    throw unsupported(
      location,
      `${FORMAT_BLOB_ID} is encrypted with "${String(encryption)}"; only AES256_GCM is known`,
    );
  }
  const algo = typeof keyAlgo === 'string' ? keyAlgo : '';
  if (!isSupportedKeyAlgorithm(algo)) {
    throw unsupported(location, `${FORMAT_BLOB_ID} uses key derivation "${algo}"; known: scrypt-65536-8-1, pbkdf2`);
  }
  if (uniqueId.length < 16) throw corrupt(location, `${FORMAT_BLOB_ID} has a uniqueID shorter than 16 bytes`);
  if (sealed.length < SEALED_OVERHEAD) {
    throw corrupt(location, `${FORMAT_BLOB_ID} has an encryptedBlockFormat too short to hold nonce and tag`);
  }
  return {
    uniqueId,
    keyAlgo: algo,
    encryptedBlockFormat: sealed,
    buildVersion: typeof buildVersion === 'string' ? buildVersion : '',
  };
}

/** Nonce (12) and GCM tag (16) around the sealed repository config. */
const SEALED_OVERHEAD = 28;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard padded base64 as Go's encoding/json reads it (line breaks ignored), or undefined when malformed. */
function strictBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  return bytes.toString('base64') === compact ? bytes : undefined;
}

/**
 * Decrypts and validates the repository config. An authentication failure here means a wrong password or a
 * damaged sealed config; `passwordProven` (the same key opened `kopia.blobcfg`) tells them apart. Every later
 * authentication failure is corruption.
 */
export function openRepositoryConfig(
  blob: FormatBlob,
  formatKey: Uint8Array,
  location: string,
  passwordProven = false,
): RepositoryConfig {
  let plain: Buffer;
  try {
    plain = decryptFormatBlock(formatKey, blob.uniqueId, blob.encryptedBlockFormat);
  } catch (error) {
    if (error instanceof AuthenticationError && passwordProven) {
      throw corrupt(
        location,
        `the sealed repository config in ${FORMAT_BLOB_ID} fails authentication although the same password opens ${BLOBCFG_BLOB_ID}: ${FORMAT_BLOB_ID} is damaged`,
        error,
      );
    }
    if (error instanceof AuthenticationError) {
      throw new RepositoryError(
        'wrong-password',
        location,
        `the password does not open ${FORMAT_BLOB_ID} (invalid repository password)`,
        { cause: error },
      );
    }
    throw error;
  }
  let json: { format?: Record<string, unknown> };
  try {
    json = JSON.parse(plain.toString('utf8')) as { format?: Record<string, unknown> };
  } catch (error) {
    throw corrupt(location, `the decrypted repository config in ${FORMAT_BLOB_ID} is not JSON`, error);
  }
  const f = json.format;
  if (!f || typeof f !== 'object')
    throw corrupt(location, `the repository config in ${FORMAT_BLOB_ID} has no "format"`);
  return validateConfig(f, location);
}

/**
 * Verifies `kopia.blobcfg` as Kopia does before it lists anything: sealed with the format key (AAD the unique ID),
 * JSON inside, retention mode and period both set or both unset, a period of at least a day. Kopia refuses to open a
 * repository whose blobcfg fails any of these, so a reader that skipped it would promise restores the movers cannot
 * perform. Returns false when the key does not open it (the caller decides between wrong password and damage).
 */
export function verifyBlobCfg(bytes: Uint8Array, blob: FormatBlob, formatKey: Uint8Array, location: string): boolean {
  let plain: Buffer;
  try {
    plain = decryptFormatBlock(formatKey, blob.uniqueId, bytes);
  } catch (error) {
    if (error instanceof AuthenticationError) return false;
    throw error;
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(plain.toString('utf8'));
  } catch (error) {
    throw corrupt(location, `${BLOBCFG_BLOB_ID} decrypts but is not JSON`, error);
  }
  const { retentionMode, retentionPeriod } = (cfg ?? {}) as { retentionMode?: unknown; retentionPeriod?: unknown };
  const mode = retentionMode ?? '';
  const period = retentionPeriod ?? 0;
  if (typeof mode !== 'string' || typeof period !== 'number') {
    throw corrupt(location, `${BLOBCFG_BLOB_ID} has a malformed retentionMode or retentionPeriod`);
  }
  const DAY_NS = 24 * 3600 * 1e9;
  if ((mode === '') !== (period === 0) || (period !== 0 && period < DAY_NS)) {
    throw corrupt(
      location,
      `${BLOBCFG_BLOB_ID} has retention settings Kopia refuses (mode "${mode}", period ${period})`,
    );
  }
  return true;
}

function validateConfig(f: Record<string, unknown>, location: string): RepositoryConfig {
  const version = typeof f.version === 'number' ? f.version : 1;
  if (version < 1 || version > 3) {
    throw unsupported(location, `Kopia repository format version ${version} is newer than this reader (1–3)`);
  }
  if (f.upgradeLock !== undefined && f.upgradeLock !== null) {
    throw unsupported(location, 'a Kopia repository upgrade is in progress (upgradeLock set); retry after it finishes');
  }
  if (typeof f.ecc === 'string' && f.ecc !== '') {
    throw unsupported(location, `the repository uses error correction "${f.ecc}", which this reader does not decode`);
  }
  if (Array.isArray(f.requiredFeatures)) {
    for (const r of f.requiredFeatures as { feature?: unknown; ifNotUnderstood?: { warn?: unknown } }[]) {
      if (typeof r.feature === 'string' && !KNOWN_FEATURES.has(r.feature) && r.ifNotUnderstood?.warn !== true) {
        throw unsupported(location, `the repository requires feature "${r.feature}", which this reader lacks`);
      }
    }
  }
  const encryption = f.encryption;
  if (!CONTENT_ENCRYPTIONS.includes(encryption as ContentEncryption)) {
    throw unsupported(
      location,
      `content encryption "${String(encryption)}" is not supported (known: ${CONTENT_ENCRYPTIONS.join(', ')})`,
    );
  }
  if (typeof f.masterKey !== 'string') throw corrupt(location, 'the repository config has no masterKey');
  const masterKey = Buffer.from(f.masterKey, 'base64');
  if (masterKey.length < 32) throw corrupt(location, 'the repository config has a master key shorter than 32 bytes');
  // Kopia resolves these from the format version only when a repository is created or upgraded, and stores them;
  // when opening, the stored values decide (absent indexVersion ⇒ what the version implies).
  const indexVersion =
    typeof f.indexVersion === 'number' && f.indexVersion !== 0 ? f.indexVersion : version === 1 ? 1 : 2;
  if (indexVersion !== 1 && indexVersion !== 2) {
    throw unsupported(location, `index version ${indexVersion} is not supported (known: 1, 2)`);
  }
  const epoch = f.epochParameters as { Enabled?: unknown } | undefined;
  // Kopia picks the epoch index manager exactly when epochParameters.Enabled is stored as true.
  const epochsEnabled = epoch?.Enabled === true;
  return {
    version,
    indexVersion,
    encryption: encryption as ContentEncryption,
    masterKey,
    hash: typeof f.hash === 'string' ? f.hash : '',
    epochsEnabled,
  };
}
