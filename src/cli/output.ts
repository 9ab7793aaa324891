/**
 * The one output layer of the CLI: `-o/--output` with the formats a command supports, the table every command prints
 * (kubectl's style: upper-case header, columns two spaces apart, no borders), JSON and YAML of the same data, and help
 * text wrapped to the terminal instead of hard line breaks.
 *
 * A command that prints data adds `outputOption([...])`, builds one plain object for json/yaml and rows for the
 * table, and calls `printData`.
 */
import { Option } from 'commander';
import { stringify } from 'yaml';
import type { Io } from './io.ts';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'text';

/** `-o, --output <format>` restricted to `formats`; commander rejects any other value as a usage error. */
export function outputOption(formats: readonly OutputFormat[], defaultFormat: OutputFormat = 'table'): Option {
  // Commander lists the choices and the default itself.
  const help = formats.includes('wide') ? 'output format (wide: more columns)' : 'output format';
  return new Option('-o, --output <format>', help).choices(formats).default(defaultFormat);
}

/** Rows as an aligned table; the first row is the header. The last column is not padded (no trailing blanks). */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** JSON (indented) or YAML of `data`, each ending with a newline. */
export function formatData(format: 'json' | 'yaml', data: unknown): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data, { lineWidth: 0 });
}

/** Kubernetes objects as one `kind: List`, the JSON form of a multi-document YAML stream (`kubectl get -o json`). */
export function objectList(items: readonly unknown[]): { apiVersion: 'v1'; kind: 'List'; items: readonly unknown[] } {
  return { apiVersion: 'v1', kind: 'List', items };
}

/** Prints `data` as json/yaml, or what `table(wide)` returns for table and wide. */
export function printData(io: Io, format: string, data: unknown, table: (wide: boolean) => string): void {
  if (format === 'json' || format === 'yaml') io.out(formatData(format, data));
  else io.out(table(format === 'wide'));
}

/** The width help text wraps at: the terminal's, else $COLUMNS, else 80 (commander's default). */
export function helpWidth(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}

/**
 * Help text reflowed to `width`: each source line is one paragraph or item (written without hard breaks). A line
 * keeps its indent; an item (`- …`, or a label followed by two spaces, like `  2  unknown: …`) wraps with a hanging
 * indent under its text, the way commander wraps option descriptions.
 */
export function wrapHelp(text: string, width: number = helpWidth()): string {
  return text
    .split('\n')
    .flatMap((line) => {
      const item = /^ *(?:- |\S+(?: \S+)? {2,})/.exec(line);
      const hanging = item ? item[0].length : (/^ */.exec(line)?.[0].length ?? 0);
      return wrapLine(line, Math.max(width, hanging + 20), hanging);
    })
    .join('\n');
}

function wrapLine(line: string, width: number, hanging: number): string[] {
  if (line.length <= width) return [line];
  const lines: string[] = [];
  let current = '';
  for (const word of line.match(/^\s*\S+|\s+\S+/g) ?? [line]) {
    if (current.trim() !== '' && current.length + word.length > width) {
      lines.push(current);
      current = ' '.repeat(hanging) + word.trimStart();
    } else {
      current += word;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}
