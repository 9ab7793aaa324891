import pkg from '../package.json' with { type: 'json' };

/** The version of this build, from package.json (one source of truth for the CLI, metrics and User-Agent). */
export const VERSION: string = pkg.version;
