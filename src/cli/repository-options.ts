/**
 * The repository flags shared by `check`, `catalog` and `serve-catalog`, and the one place these commands read the
 * environment: the variables of a VolSync repository Secret, read the way the movers read them
 * (docs/design.md#movers-and-secrets)
 * — KOPIA_PASSWORD / RESTIC_PASSWORD (or --password-file), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION, KOPIA_S3_ENDPOINT / AWS_S3_ENDPOINT, KOPIA_S3_BUCKET,
 * KOPIA_S3_DISABLE_TLS / AWS_S3_DISABLE_TLS, and KOPIA_REPOSITORY / RESTIC_REPOSITORY when --repository is absent.
 *
 * Credentials are read at every repository read (a mounted Secret file can change under a long-running server) and
 * never appear in output: only locations and the names of missing variables do.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { kopiaS3Settings, passwordVariable, repositoryVariable, s3Credentials } from '../catalog/environment.ts';
import { parseDuration } from '../config/formats.ts';
import { kopiaSource } from '../mover/kopia/catalog-source.ts';
import { DEFAULT_IDENTITY_TEMPLATE, IdentityTemplateError } from '../mover/kopia/reader/identity.ts';
import { KopiaLocationError, parseKopiaLocation } from '../mover/kopia/reader/location.ts';
import { ResticSourceError, resticSource } from '../mover/restic/catalog-source.ts';
import { LocationError } from '../mover/restic/reader/location.ts';
import type { CredentialProvider, RepositoryCredentials } from '../repository/credentials.ts';
import { type CatalogSource, CredentialsError, type PvcRef, pvcRefProblem } from '../repository/source.ts';
import { usage } from './exit-codes.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface RepositoryFlags {
  backend?: string;
  repository?: string;
  identity?: string;
  passwordFile?: string;
}

export interface RepositorySettings {
  backend: 'kopia' | 'restic';
  repository: string;
  /** Where `repository` came from (`--repository`, `KOPIA_REPOSITORY`, …), for error messages. */
  repositoryFrom?: string;
  identity?: string;
  passwordFile?: string;
  /** Where the password comes from when it is not --password-file (default: the environment variable). */
  passwordFrom?: string;
}

export function addRepositoryOptions(command: Command): Command {
  return command
    .addOption(new Option('--backend <kind>', 'repository format the movers write').choices(['kopia', 'restic']))
    .option(
      '--repository <url-or-template>',
      'Kopia: KOPIA_REPOSITORY (/path, filesystem:///path or s3://bucket/prefix); restic: a template with ' +
        '{namespace} and {pvc}, e.g. /mnt/backups/{namespace}-{pvc} or s3:http://minio:9000/volsync/{namespace}/{pvc} ' +
        '(default: $KOPIA_REPOSITORY / $RESTIC_REPOSITORY)',
    )
    .option('--identity <template>', `Kopia source of a PVC (default ${DEFAULT_IDENTITY_TEMPLATE})`)
    .option(
      '--password-file <path>',
      'read the repository password from this file instead of $KOPIA_PASSWORD / $RESTIC_PASSWORD',
    );
}

/** Flags first, then the environment; throws a usage error naming the missing piece. */
export function resolveRepository(flags: RepositoryFlags, env: Env, fallback: Partial<RepositorySettings> = {}) {
  const backend = flags.backend ?? fallback.backend;
  if (backend !== 'kopia' && backend !== 'restic') {
    throw usage('--backend is required: kopia (one shared repository) or restic (one repository per PVC)');
  }
  const variable = repositoryVariable(backend);
  const [repository, repositoryFrom] = flags.repository
    ? [flags.repository, '--repository']
    : fallback.repository
      ? [fallback.repository, fallback.repositoryFrom ?? 'repository.url']
      : [env[variable], variable];
  if (!repository) throw usage(`--repository is required (or set ${variable}, or give --config with repository.url)`);
  if (backend === 'restic' && flags.identity) {
    throw usage('--identity applies to Kopia only: a restic PVC is identified by its repository location');
  }
  const settings: RepositorySettings = { backend, repository, repositoryFrom };
  const identity = flags.identity ?? fallback.identity;
  if (identity && backend === 'kopia') settings.identity = identity;
  if (flags.passwordFile) settings.passwordFile = flags.passwordFile;
  return settings;
}

/** Reads the password and S3 keys at each call; never echoes their values. */
export function credentialsFrom(settings: RepositorySettings, env: Env): CredentialProvider {
  const variable = passwordVariable(settings.backend);
  return async (): Promise<RepositoryCredentials> => {
    let password: string;
    if (settings.passwordFile) {
      try {
        // A trailing newline is an artefact of `echo > file`, never part of a password the movers use.
        password = (await readFile(settings.passwordFile, 'utf8')).replace(/\r?\n$/, '');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new CredentialsError(`cannot read the password file ${settings.passwordFile} (${code})`);
      }
      if (!password) throw new CredentialsError(`the password file ${settings.passwordFile} is empty`);
    } else {
      password = env[variable] ?? '';
      if (!password) {
        throw new CredentialsError(
          `${variable} is not set: export it, use --password-file, or give --config naming the repository Secret`,
        );
      }
    }
    const s3 = s3Credentials(env);
    return s3 ? { password, s3 } : { password };
  };
}

/**
 * The catalog source for the settings. `pvc` lets a restic location without placeholders stand for that one PVC
 * (`lifeboat check` against a single repository). Bad locations and templates become usage errors.
 */
export function buildSource(settings: RepositorySettings, env: Env, pvc?: PvcRef): CatalogSource {
  const credentials = credentialsFrom(settings, env);
  try {
    if (settings.backend === 'kopia') {
      if (/[{}]/.test(settings.repository)) {
        throw usage(
          'the Kopia repository must not contain placeholders: the catalog reads one shared Kopia repository and ' +
            'tells PVCs apart by --identity',
        );
      }
      // A bare absolute path is a filesystem location, as restic and `kopia repository connect filesystem` take it.
      const url = settings.repository.startsWith('/') ? `filesystem://${settings.repository}` : settings.repository;
      const location = parseKopiaLocation(url, kopiaS3Settings(env));
      return kopiaSource({
        location,
        credentials,
        ...(settings.identity ? { identity: settings.identity } : {}),
      });
    }
    return resticSource({ repository: settings.repository, credentials, ...(pvc ? { pvc } : {}) });
  } catch (error) {
    if (
      error instanceof KopiaLocationError ||
      error instanceof LocationError ||
      error instanceof IdentityTemplateError ||
      error instanceof ResticSourceError
    ) {
      // The readers name the movers' variable; the user may have given the location another way.
      const from = settings.repositoryFrom ?? repositoryVariable('kopia');
      throw usage(error.message.replace(/^KOPIA_REPOSITORY\b/, from));
    }
    throw error;
  }
}

/**
 * The wrong-password remedy naming the password source actually used, so the user fixes the right thing (the file
 * they passed, their shell's variable, or the Secret) rather than a variable they never set.
 */
export function passwordRemedies(settings: RepositorySettings): { 'wrong-password': string } {
  const variable = passwordVariable(settings.backend);
  const right = `the password the repository was created with (the VolSync movers' ${variable})`;
  if (settings.passwordFile) {
    return {
      'wrong-password': `the password in --password-file ${settings.passwordFile} is wrong: put ${right} in it`,
    };
  }
  const from = settings.passwordFrom ?? `${variable} (from the environment)`;
  return { 'wrong-password': `${from} is wrong: set it to ${right}` };
}

/** `namespace/pvc` → PvcRef, or a usage error saying what is wrong with it. */
export function parsePvcArgument(text: string): PvcRef {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    throw usage(`"${text}" is not <namespace>/<pvc>: write it like karakeep/data-pvc`);
  }
  const ref = { namespace: text.slice(0, slash), pvc: text.slice(slash + 1) };
  const problem = pvcRefProblem(ref);
  if (problem) throw usage(problem);
  return ref;
}

/** `30s`, `5m`, `250ms`, … → milliseconds (> 0), or a usage error naming the flag. */
export function parseDurationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw usage(`${flag} "${text}" is not a duration: write it like 30s, 5m or 1h30m`);
  return ms;
}
