/** The Kopia reader's public surface for the catalog; everything else in this folder is an implementation detail. */
export {
  DEFAULT_IDENTITY_TEMPLATE,
  IdentityTemplateError,
  matchIdentity,
  PVC_IDENTITY_TEMPLATE,
  type PvcRef,
  renderIdentity,
  validateIdentityTemplate,
} from './identity.ts';
export {
  type KopiaLocation,
  KopiaLocationError,
  type KopiaS3Settings,
  kopiaLocationFromEnv,
  parseKopiaLocation,
} from './location.ts';
export {
  type KopiaLayout,
  type KopiaReaderOptions,
  type KopiaReaderStats,
  type KopiaRepository,
  openKopiaRepository,
  s3PrefixCandidates,
} from './repository.ts';
export type { KopiaSnapshot } from './snapshots.ts';
