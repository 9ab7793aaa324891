/**
 * The logging seam of the kube layer: callers pass the process's logger in; nothing here picks a sink on its own.
 * Fields carry object references, counts and the API server's messages, never object contents (Secrets pass through
 * this layer).
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** One JSON object per line (time, level, msg, fields), at or above `level`. */
export function jsonLogger(
  opts: { level?: LogLevel; write?: (line: string) => void; component?: string } = {},
): Logger {
  const min = LEVELS.indexOf(opts.level ?? 'info');
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (LEVELS.indexOf(level) < min) return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level, component: opts.component, msg: message, ...fields })}\n`,
      );
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
