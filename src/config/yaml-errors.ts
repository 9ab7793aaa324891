/**
 * A YAML syntax error as a person can act on it: where (line and column), what, and the offending line with a caret
 * under the spot — the parser's own excerpt, never cut to its first line.
 */
import type { YAMLError } from 'yaml';

export interface YamlProblem {
  /** `line 3, column 8`, or '' when the parser gave no position. */
  where: string;
  /** The parser's message without its position suffix. */
  problem: string;
  /** The source line(s) and a caret line, each indented by `indent`; '' when the parser gave none. */
  excerpt: string;
}

export function yamlProblem(error: YAMLError, indent = '    '): YamlProblem {
  const [head = '', ...rest] = error.message.split('\n\n');
  const problem = head.replace(/ at line \d+, column \d+:?$/, '').trim();
  const lines = rest.join('\n\n').replace(/\n+$/, '').split('\n');
  const excerpt = lines.some((l) => l.trim() !== '') ? lines.map((l) => `${indent}${l}`).join('\n') : '';
  const where = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
  return { where, problem, excerpt };
}

/** `file: line 3, column 8: problem` followed by the excerpt on its own lines. */
export function formatYamlError(file: string, error: YAMLError): string {
  const { where, problem, excerpt } = yamlProblem(error);
  return `${file}: ${where ? `${where}: ` : ''}${problem}${excerpt ? `\n${excerpt}` : ''}`;
}
