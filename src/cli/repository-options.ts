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
import { passwordVariable, repositoryVariable, s3Credentials } from '../catalog/environment.ts';
import { parseDuration } from '../config/formats.ts';
import { BACKEND_KINDS, type Backend, MOVERS } from '../mover/index.ts';
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
  backend: Backend;
  repository: string;
  /** Where `repository` came from (`--repository`, `KOPIA_REPOSITORY`, …), for error messages. */
  repositoryFrom?: string;
  identity?: string;
  passwordFile?: string;
  /** Where the password comes from when it is not --password-file (default: the environment variable). */
  passwordFrom?: string;
}

export function addRepositoryOptions(command: Command): Command {
  const movers = BACKEND_KINDS.map((name) => MOVERS[name]);
  const identityHelp = movers.flatMap(({ cli }) => ('help' in cli.identity ? [cli.identity.help] : [])).join('; ');
  return command
    .addOption(new Option('--backend <kind>', 'repository format the movers write').choices(BACKEND_KINDS))
    .option(
      '--repository <url-or-template>',
      `${movers.map(({ cli }) => cli.repositoryHelp).join('; ')} ` +
        `(default: ${movers.map(({ variables }) => `$${variables.repository}`).join(' / ')})`,
    )
    .option('--identity <template>', identityHelp)
    .option(
      '--password-file <path>',
      `read the repository password from this file instead of ${movers.map(({ variables }) => `$${variables.password}`).join(' / ')}`,
    );
}

/** Flags first, then the environment; throws a usage error naming the missing piece. */
export function resolveRepository(flags: RepositoryFlags, env: Env, fallback: Partial<RepositorySettings> = {}) {
  const backend = flags.backend ?? fallback.backend;
  if (!(BACKEND_KINDS as readonly unknown[]).includes(backend)) {
    const kinds = BACKEND_KINDS.map(
      (name) =>
        `${name} (${MOVERS[name].repository.sharedRepository ? 'one shared repository' : 'one repository per PVC'})`,
    );
    throw usage(`--backend is required: ${kinds.join(' or ')}`);
  }
  const mover = MOVERS[backend as Backend];
  const variable = repositoryVariable(backend as Backend);
  const [repository, repositoryFrom] = flags.repository
    ? [flags.repository, '--repository']
    : fallback.repository
      ? [fallback.repository, fallback.repositoryFrom ?? 'repository.url']
      : [env[variable], variable];
  if (!repository) throw usage(`--repository is required (or set ${variable}, or give --config with repository.url)`);
  if ('refused' in mover.cli.identity && flags.identity) throw usage(mover.cli.identity.refused);
  const settings: RepositorySettings = { backend: backend as Backend, repository, repositoryFrom };
  const identity = flags.identity ?? fallback.identity;
  if (identity && 'help' in mover.cli.identity) settings.identity = identity;
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
  const { reader, variables } = MOVERS[settings.backend];
  try {
    return reader.cliSource(settings.repository, env, settings.identity, credentials, pvc);
  } catch (error) {
    if (reader.isUsageError(error)) {
      // The readers name the movers' variable; the user may have given the location another way.
      const from = settings.repositoryFrom ?? variables.repository;
      throw usage((error as Error).message.replace(new RegExp(`^${variables.repository}\\b`), from));
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
