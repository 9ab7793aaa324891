/** A logger that keeps its lines (`<level> <message> <fields as JSON>`) for assertions. */
import type { LogFields, Logger } from '../../src/kube/log.ts';

export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
