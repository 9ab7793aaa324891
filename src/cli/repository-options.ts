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
import { type Command, CommanderError, Option } from 'commander';
import type { CredentialProvider, RepositoryCredentials } from '../catalog/credentials.ts';
import { kopiaS3Settings, s3Credentials } from '../catalog/environment.ts';
import { DEFAULT_IDENTITY_TEMPLATE, IdentityTemplateError } from '../catalog/kopia/identity.ts';
import { KopiaLocationError, parseKopiaLocation } from '../catalog/kopia/location.ts';
import { kopiaSource } from '../catalog/kopia-source.ts';
import { LocationError } from '../catalog/restic/location.ts';
import { ResticSourceError, resticSource } from '../catalog/restic-source.ts';
import { type CatalogSource, CredentialsError, type PvcRef, pvcRefProblem } from '../catalog/source.ts';
import { parseDuration } from '../config/formats.ts';

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
  identity?: string;
  passwordFile?: string;
}

/** A usage error: printed as `error: …` with exit status 1 by runCli. */
export function usage(message: string): CommanderError {
  return new CommanderError(1, 'lifeboat.usage', message);
}

export function addRepositoryOptions(command: Command): Command {
  return command
    .addOption(new Option('--backend <kind>', 'repository format the movers write').choices(['kopia', 'restic']))
    .option(
      '--repository <url-or-template>',
      'Kopia: KOPIA_REPOSITORY (filesystem:///path or s3://bucket/prefix); restic: a template with {namespace} and ' +
        '{pvc}, e.g. s3:http://minio:9000/volsync/{namespace}/{pvc} (default: $KOPIA_REPOSITORY / $RESTIC_REPOSITORY)',
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
  const variable = backend === 'kopia' ? 'KOPIA_REPOSITORY' : 'RESTIC_REPOSITORY';
  const repository = flags.repository ?? fallback.repository ?? env[variable];
  if (!repository) throw usage(`--repository is required (or set ${variable})`);
  if (backend === 'restic' && flags.identity) {
    throw usage('--identity applies to Kopia only: a restic PVC is identified by its repository location');
  }
  const settings: RepositorySettings = { backend, repository };
  const identity = flags.identity ?? fallback.identity;
  if (identity && backend === 'kopia') settings.identity = identity;
  if (flags.passwordFile) settings.passwordFile = flags.passwordFile;
  return settings;
}

/** Reads the password and S3 keys at each call; never echoes their values. */
export function credentialsFrom(settings: RepositorySettings, env: Env): CredentialProvider {
  const variable = settings.backend === 'kopia' ? 'KOPIA_PASSWORD' : 'RESTIC_PASSWORD';
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
      if (!password) throw new CredentialsError(`${variable} is not set: export it or use --password-file`);
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
      const location = parseKopiaLocation(settings.repository, kopiaS3Settings(env));
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
      throw usage(error.message);
    }
    throw error;
  }
}

/**
 * Ends a command with a non-zero status without printing anything more (its output already said why). Thrown
 * rather than set on process.exitCode so that in-process callers (tests) get the status from runCli and the
 * process's own exit status stays untouched.
 */
export function exitWith(status: number): CommanderError {
  return new CommanderError(status, 'lifeboat.exit', `exit status ${status}`);
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
