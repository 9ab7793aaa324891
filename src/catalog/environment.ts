/**
 * Repository settings as the VolSync movers read them: environment-style variables (`KOPIA_PASSWORD`,
 * `AWS_ACCESS_KEY_ID`, `KOPIA_S3_ENDPOINT`, …) from the process environment (the CLI) or from the keys of a mover
 * Secret (the operator). One reading, so lifeboat and the movers cannot disagree about what a key means. The one home
 * of the names beside each mover's own password and location variables, which src/mover/<name>/ holds.
 */
import type { Backend, LifeboatConfig } from '../config/types.ts';
import { MOVERS } from '../mover/index.ts';
import type { Env, RepositoryCredentials } from '../repository/credentials.ts';
import { CredentialsError } from '../repository/source.ts';

export type { Env } from '../repository/credentials.ts';

/** The variables of a VolSync repository Secret the catalog reads: each mover's own, then the AWS ones they share. */
export const REPOSITORY_VARIABLES: readonly string[] = [
  ...Object.values(MOVERS).flatMap((mover) => [
    mover.variables.password,
    mover.variables.repository,
    ...mover.variables.settings,
  ]),
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_S3_ENDPOINT',
  'AWS_S3_DISABLE_TLS',
];

/** The mover's variable holding the repository password (src/mover/<name>/). */
export function passwordVariable(backend: Backend): string {
  return MOVERS[backend].variables.password;
}

/** The mover's variable holding the repository location. */
export function repositoryVariable(backend: Backend): string {
  return MOVERS[backend].variables.repository;
}

/**
 * Where the repository is when `repository.url` names none, as the mover says: the movers (the writer's default) and
 * the catalog (when `catalog.location` does not say otherwise) use the same.
 */
export function defaultLocation(config: LifeboatConfig): string | undefined {
  return MOVERS[config.repository.backend].defaultLocation(config.repository.nfs);
}

/** The S3 keys, when both are present. */
export function s3Credentials(env: Env): RepositoryCredentials['s3'] {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** Password and S3 keys from `env`; `where` names the source in the error (never the values). */
export function credentialsFromEnv(backend: Backend, env: Env, where: string): RepositoryCredentials {
  const variable = passwordVariable(backend);
  const password = env[variable] ?? '';
  if (!password) throw new CredentialsError(`${variable} is not set in ${where}`);
  const s3 = s3Credentials(env);
  return s3 ? { password, s3 } : { password };
}
