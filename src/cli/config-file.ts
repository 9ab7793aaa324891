/** Reading the lifeboat config file for a command: a clear usage error (status 1) for an unreadable or invalid file. */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/issues.ts';
import { loadConfig } from '../config/load.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { usageError } from './exit-codes.ts';

/** The config at `path`, or the built-in defaults when no path is given. */
export function readConfigFile(path: string | undefined): LifeboatConfig {
  if (path === undefined) return loadConfig('', 'defaults');
  let yaml: string;
  try {
    yaml = readFileSync(path, 'utf8');
  } catch (error) {
    usageError(`cannot read config ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return loadConfig(yaml, path);
  } catch (error) {
    if (error instanceof ConfigError) usageError(error.message);
    throw error;
  }
}
