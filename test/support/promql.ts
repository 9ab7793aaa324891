/**
 * A small PromQL parser, enough to check the expressions lifeboat ships (alerts, dashboard panels) before Prometheus
 * ever sees them: syntax (balanced brackets, operators, modifiers), known functions and aggregations with the right
 * number and types of arguments (a `rate()` over an instant vector is an error, as in Prometheus), and the list of
 * vector selectors an expression reads, so a test can hold every metric name against the registry.
 *
 * It covers the PromQL of Prometheus 2.x/3.x minus subqueries, `@` modifiers and native-histogram functions; anything
 * outside that set is rejected with a message, never accepted blindly. Operator precedence follows Prometheus except
 * that unary minus binds tighter than `^`, which changes values, not types or selectors.
 */

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface VectorSelector {
  kind: 'selector';
  name: string | undefined;
  matchers: LabelMatcher[];
  /** The range in `[5m]`, when this is a range vector. */
  range: string | undefined;
}

export type Expr =
  | VectorSelector
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'paren'; expr: Expr }
  | { kind: 'unary'; op: '+' | '-'; expr: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; bool: boolean; matching?: VectorMatching }
  | { kind: 'call'; func: string; args: Expr[] }
  | { kind: 'aggregate'; op: string; grouping?: Grouping; param?: Expr; expr: Expr };

export interface Grouping {
  without: boolean;
  labels: string[];
}

export interface VectorMatching {
  on: boolean;
  labels: string[];
  group?: { side: 'left' | 'right'; labels: string[] };
}

export class PromQLError extends Error {
  override readonly name = 'PromQLError';
  readonly position: number;
  constructor(message: string, position: number, input: string) {
    super(`${message} at position ${position}: ${input.slice(0, position)}⟨here⟩${input.slice(position)}`);
    this.position = position;
  }
}

// ---- lexer ---------------------------------------------------------------------------------------------------------

type TokenKind = 'ident' | 'number' | 'duration' | 'string' | 'op' | 'punct' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+/;
const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENT = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const OPERATORS = ['==', '!=', '<=', '>=', '=~', '!~', '+', '-', '*', '/', '%', '^', '<', '>', '='];
const PUNCTUATION = '(){}[],';

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const rest = input.slice(i);
    const c = input[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      const end = input.indexOf('\n', i);
      i = end === -1 ? input.length : end;
      continue;
    }
    const duration = DURATION.exec(rest);
    // "5m" is a duration; "5" followed by "m" of a name ("5 max") is not, because whitespace separates them.
    if (duration && !/^[a-zA-Z0-9_]/.test(rest.slice(duration[0].length))) {
      tokens.push({ kind: 'duration', text: duration[0], pos: i });
      i += duration[0].length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', text: number[0], pos: i });
      i += number[0].length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const [text, end] = readString(input, i);
      tokens.push({ kind: 'string', text, pos: i });
      i = end;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op) {
      tokens.push({ kind: 'op', text: op, pos: i });
      i += op.length;
      continue;
    }
    if (PUNCTUATION.includes(c)) {
      tokens.push({ kind: 'punct', text: c, pos: i });
      i++;
      continue;
    }
    throw new PromQLError(`unexpected character ${JSON.stringify(c)}`, i, input);
  }
  tokens.push({ kind: 'eof', text: '', pos: input.length });
  return tokens;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

function readString(input: string, start: number): [string, number] {
  const quote = input[start];
  let value = '';
  let i = start + 1;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (c === quote) return [value, i + 1];
    if (c === '\\' && quote !== '`') {
      const next = input[i + 1] ?? '';
      const escaped = ESCAPES[next];
      if (escaped === undefined) throw new PromQLError(`unknown escape \\${next} in string`, i, input);
      value += escaped;
      i += 2;
      continue;
    }
    if (c === '\n' && quote !== '`') break;
    value += c;
    i++;
  }
  throw new PromQLError('unterminated string', start, input);
}

// ---- functions and aggregations -------------------------------------------------------------------------------------

interface Signature {
  args: ValueType[];
  /** How many trailing arguments may be left out. */
  optional?: number;
  /** The last argument type repeats without bound. */
  variadic?: boolean;
  returns: ValueType;
}

const V: Signature = { args: ['vector'], returns: 'vector' };
const M: Signature = { args: ['matrix'], returns: 'vector' };

export const FUNCTIONS: Readonly<Record<string, Signature>> = {
  abs: V,
  ceil: V,
  floor: V,
  exp: V,
  ln: V,
  log2: V,
  log10: V,
  sqrt: V,
  sgn: V,
  sort: V,
  sort_desc: V,
  timestamp: V,
  absent: V,
  round: { args: ['vector', 'scalar'], optional: 1, returns: 'vector' },
  clamp: { args: ['vector', 'scalar', 'scalar'], returns: 'vector' },
  clamp_min: { args: ['vector', 'scalar'], returns: 'vector' },
  clamp_max: { args: ['vector', 'scalar'], returns: 'vector' },
  rate: M,
  irate: M,
  increase: M,
  delta: M,
  idelta: M,
  deriv: M,
  changes: M,
  resets: M,
  absent_over_time: M,
  present_over_time: M,
  avg_over_time: M,
  min_over_time: M,
  max_over_time: M,
  sum_over_time: M,
  count_over_time: M,
  last_over_time: M,
  stddev_over_time: M,
  quantile_over_time: { args: ['scalar', 'matrix'], returns: 'vector' },
  predict_linear: { args: ['matrix', 'scalar'], returns: 'vector' },
  histogram_quantile: { args: ['scalar', 'vector'], returns: 'vector' },
  time: { args: [], returns: 'scalar' },
  vector: { args: ['scalar'], returns: 'vector' },
  scalar: { args: ['vector'], returns: 'scalar' },
  label_replace: { args: ['vector', 'string', 'string', 'string', 'string'], returns: 'vector' },
  label_join: { args: ['vector', 'string', 'string', 'string'], variadic: true, returns: 'vector' },
};

/** Aggregation operators and the type of their parameter, if they take one. */
const AGGREGATIONS: Readonly<Record<string, ValueType | undefined>> = {
  sum: undefined,
  min: undefined,
  max: undefined,
  avg: undefined,
  count: undefined,
  group: undefined,
  stddev: undefined,
  stdvar: undefined,
  topk: 'scalar',
  bottomk: 'scalar',
  quantile: 'scalar',
  count_values: 'string',
};

const PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<=': 3,
  '<': 3,
  '>=': 3,
  '>': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
};
const COMPARISONS = new Set(['==', '!=', '<=', '<', '>=', '>']);
const SET_OPERATORS = new Set(['and', 'or', 'unless']);
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'atan2',
]);

// ---- parser ---------------------------------------------------------------------------------------------------------

class Parser {
  private readonly tokens: Token[];
  private readonly input: string;
  private i = 0;

  constructor(input: string) {
    this.input = input;
    this.tokens = lex(input);
  }

  parse(): { expr: Expr; type: ValueType } {
    if (this.peek().kind === 'eof') this.fail('empty expression');
    const result = this.expression(0);
    if (this.peek().kind !== 'eof') this.fail(`unexpected ${this.describe(this.peek())}`);
    return result;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.i++;
    return token;
  }

  private fail(message: string, token = this.peek()): never {
    throw new PromQLError(message, token.pos, this.input);
  }

  private describe(token: Token): string {
    return token.kind === 'eof' ? 'end of expression' : `"${token.text}"`;
  }

  private expect(text: string): Token {
    const token = this.peek();
    if (token.text !== text || token.kind === 'string') this.fail(`expected "${text}", found ${this.describe(token)}`);
    return this.next();
  }

  private binaryOperator(): string | undefined {
    const token = this.peek();
    if (token.kind === 'op' && Object.hasOwn(PRECEDENCE, token.text)) return token.text;
    if (token.kind === 'ident' && (SET_OPERATORS.has(token.text) || token.text === 'atan2')) return token.text;
    return undefined;
  }

  private expression(minPrecedence: number): { expr: Expr; type: ValueType } {
    let left = this.unary();
    for (;;) {
      const op = this.binaryOperator();
      if (!op) return left;
      const precedence = PRECEDENCE[op] ?? 0;
      if (precedence < minPrecedence) return left;
      const opToken = this.next();
      const bool = this.peek().kind === 'ident' && this.peek().text === 'bool';
      if (bool) this.next();
      if (bool && !COMPARISONS.has(op)) this.fail('"bool" is only allowed after a comparison operator', opToken);
      const matching = this.vectorMatching(op);
      // Left-associative except "^": the right side binds operators of higher precedence only.
      const right = this.expression(op === '^' ? precedence : precedence + 1);
      left = this.combine(op, left, right, bool, matching, opToken);
    }
  }

  private vectorMatching(op: string): VectorMatching | undefined {
    const token = this.peek();
    if (token.kind !== 'ident' || (token.text !== 'on' && token.text !== 'ignoring')) return undefined;
    this.next();
    const matching: VectorMatching = { on: token.text === 'on', labels: this.labelList() };
    const group = this.peek();
    if (group.kind === 'ident' && (group.text === 'group_left' || group.text === 'group_right')) {
      if (SET_OPERATORS.has(op)) this.fail(`${group.text} is not allowed with the set operator "${op}"`, group);
      this.next();
      const labels = this.peek().text === '(' ? this.labelList() : [];
      matching.group = { side: group.text === 'group_left' ? 'left' : 'right', labels };
    }
    return matching;
  }

  private combine(
    op: string,
    left: { expr: Expr; type: ValueType },
    right: { expr: Expr; type: ValueType },
    bool: boolean,
    matching: VectorMatching | undefined,
    at: Token,
  ): { expr: Expr; type: ValueType } {
    for (const side of [left, right]) {
      if (side.type === 'matrix' || side.type === 'string') {
        this.fail(
          `operator "${op}" needs scalars or instant vectors, got a ${side.type === 'matrix' ? 'range vector' : 'string'}`,
          at,
        );
      }
    }
    if (SET_OPERATORS.has(op) && (left.type !== 'vector' || right.type !== 'vector')) {
      this.fail(`set operator "${op}" needs instant vectors on both sides`, at);
    }
    if (matching && (left.type !== 'vector' || right.type !== 'vector')) {
      this.fail('on/ignoring/group_left/group_right need instant vectors on both sides', at);
    }
    if (COMPARISONS.has(op) && left.type === 'scalar' && right.type === 'scalar' && !bool) {
      this.fail(`comparison "${op}" between two scalars needs "bool"`, at);
    }
    const type: ValueType = left.type === 'scalar' && right.type === 'scalar' ? 'scalar' : 'vector';
    const expr: Expr = { kind: 'binary', op, left: left.expr, right: right.expr, bool };
    if (matching) expr.matching = matching;
    return { expr, type };
  }

  private unary(): { expr: Expr; type: ValueType } {
    const token = this.peek();
    if (token.kind === 'op' && (token.text === '-' || token.text === '+')) {
      this.next();
      const operand = this.unary();
      if (operand.type !== 'scalar' && operand.type !== 'vector') {
        this.fail(`unary "${token.text}" needs a scalar or an instant vector`, token);
      }
      return { expr: { kind: 'unary', op: token.text, expr: operand.expr }, type: operand.type };
    }
    return this.postfix(this.primary());
  }

  /** `[5m]` after a selector, and `offset 1h` after a selector or range. */
  private postfix(operand: { expr: Expr; type: ValueType }): { expr: Expr; type: ValueType } {
    let result = operand;
    if (this.peek().text === '[' && this.peek().kind === 'punct') {
      const open = this.next();
      if (result.expr.kind !== 'selector' || result.expr.range !== undefined) {
        this.fail('a range "[...]" may only follow a vector selector (subqueries are not supported)', open);
      }
      const duration = this.next();
      if (duration.kind !== 'duration')
        this.fail(`expected a duration such as 5m, found ${this.describe(duration)}`, duration);
      if (this.peek().text.startsWith(':')) this.fail('subqueries are not supported');
      this.expect(']');
      result = { expr: { ...result.expr, range: duration.text }, type: 'matrix' };
    }
    if (this.peek().kind === 'ident' && this.peek().text === 'offset') {
      const offset = this.next();
      if (result.expr.kind !== 'selector') this.fail('"offset" may only follow a vector selector', offset);
      if (this.peek().kind === 'op' && this.peek().text === '-') this.next();
      const duration = this.next();
      if (duration.kind !== 'duration')
        this.fail(`expected a duration after offset, found ${this.describe(duration)}`, duration);
    }
    return result;
  }

  private primary(): { expr: Expr; type: ValueType } {
    const token = this.peek();
    if (token.kind === 'number') {
      this.next();
      return { expr: { kind: 'number', value: Number(token.text) }, type: 'scalar' };
    }
    if (token.kind === 'duration') this.fail(`a duration (${token.text}) is only allowed in a range or after offset`);
    if (token.kind === 'string') {
      this.next();
      return { expr: { kind: 'string', value: token.text }, type: 'string' };
    }
    if (token.kind === 'punct' && token.text === '(') {
      this.next();
      const inner = this.expression(0);
      this.expect(')');
      return { expr: { kind: 'paren', expr: inner.expr }, type: inner.type };
    }
    if (token.kind === 'punct' && token.text === '{') return { expr: this.selector(undefined), type: 'vector' };
    if (token.kind === 'ident') {
      if (Object.hasOwn(AGGREGATIONS, token.text) && this.isAggregationStart()) return this.aggregation();
      if (this.peek(1).text === '(' && this.peek(1).kind === 'punct') return this.call();
      if (KEYWORDS.has(token.text)) this.fail(`unexpected keyword "${token.text}"`);
      if (token.text === 'Inf' || token.text === 'NaN') {
        this.next();
        return { expr: { kind: 'number', value: token.text === 'Inf' ? Infinity : Number.NaN }, type: 'scalar' };
      }
      this.next();
      return { expr: this.selector(token.text), type: 'vector' };
    }
    this.fail(`unexpected ${this.describe(token)}`);
  }

  private isAggregationStart(): boolean {
    const next = this.peek(1);
    return (
      (next.kind === 'punct' && next.text === '(') ||
      (next.kind === 'ident' && (next.text === 'by' || next.text === 'without'))
    );
  }

  private selector(name: string | undefined): VectorSelector {
    const matchers: LabelMatcher[] = [];
    if (this.peek().kind === 'punct' && this.peek().text === '{') {
      this.next();
      while (!(this.peek().kind === 'punct' && this.peek().text === '}')) {
        const label = this.next();
        if (label.kind !== 'ident' || label.text.includes(':'))
          this.fail(`expected a label name, found ${this.describe(label)}`, label);
        const op = this.next();
        if (op.kind !== 'op' || !['=', '!=', '=~', '!~'].includes(op.text)) {
          this.fail(`expected =, !=, =~ or !~ after label "${label.text}", found ${this.describe(op)}`, op);
        }
        const value = this.next();
        if (value.kind !== 'string') this.fail(`expected a quoted label value, found ${this.describe(value)}`, value);
        if (op.text === '=~' || op.text === '!~') {
          try {
            new RegExp(`^(?:${value.text})$`);
          } catch (error) {
            this.fail(`invalid regular expression for label "${label.text}": ${(error as Error).message}`, value);
          }
        }
        matchers.push({ label: label.text, op: op.text as LabelMatcher['op'], value: value.text });
        if (this.peek().kind === 'punct' && this.peek().text === ',') this.next();
        else if (!(this.peek().kind === 'punct' && this.peek().text === '}'))
          this.fail(`expected "," or "}", found ${this.describe(this.peek())}`);
      }
      this.next();
    }
    if (name === undefined && !matchers.some((m) => m.value !== '' && (m.op === '=' || m.op === '=~'))) {
      this.fail('a selector without a metric name needs at least one non-empty matcher');
    }
    return { kind: 'selector', name, matchers, range: undefined };
  }

  private labelList(): string[] {
    this.expect('(');
    const labels: string[] = [];
    while (!(this.peek().kind === 'punct' && this.peek().text === ')')) {
      const label = this.next();
      if (label.kind !== 'ident') this.fail(`expected a label name, found ${this.describe(label)}`, label);
      labels.push(label.text);
      if (this.peek().kind === 'punct' && this.peek().text === ',') this.next();
      else if (!(this.peek().kind === 'punct' && this.peek().text === ')'))
        this.fail(`expected "," or ")", found ${this.describe(this.peek())}`);
    }
    this.next();
    return labels;
  }

  private grouping(): Grouping | undefined {
    const token = this.peek();
    if (token.kind !== 'ident' || (token.text !== 'by' && token.text !== 'without')) return undefined;
    this.next();
    return { without: token.text === 'without', labels: this.labelList() };
  }

  private aggregation(): { expr: Expr; type: ValueType } {
    const op = this.next();
    let grouping = this.grouping();
    this.expect('(');
    const paramType = AGGREGATIONS[op.text];
    let param: { expr: Expr; type: ValueType } | undefined;
    if (paramType) {
      param = this.expression(0);
      if (param.type !== paramType)
        this.fail(`${op.text}() takes a ${paramType} parameter first, got a ${typeName(param.type)}`, op);
      this.expect(',');
    }
    const inner = this.expression(0);
    if (inner.type !== 'vector')
      this.fail(`${op.text}() aggregates an instant vector, got a ${typeName(inner.type)}`, op);
    this.expect(')');
    const trailing = this.grouping();
    if (trailing) {
      if (grouping) this.fail(`${op.text}() has two by/without clauses`, op);
      grouping = trailing;
    }
    const expr: Expr = { kind: 'aggregate', op: op.text, expr: inner.expr };
    if (grouping) expr.grouping = grouping;
    if (param) expr.param = param.expr;
    return { expr, type: 'vector' };
  }

  private call(): { expr: Expr; type: ValueType } {
    const name = this.next();
    const signature = Object.hasOwn(FUNCTIONS, name.text) ? FUNCTIONS[name.text] : undefined;
    if (!signature) this.fail(`unknown function "${name.text}"`, name);
    this.expect('(');
    const args: { expr: Expr; type: ValueType }[] = [];
    while (!(this.peek().kind === 'punct' && this.peek().text === ')')) {
      args.push(this.expression(0));
      if (this.peek().kind === 'punct' && this.peek().text === ',') this.next();
      else if (!(this.peek().kind === 'punct' && this.peek().text === ')'))
        this.fail(`expected "," or ")", found ${this.describe(this.peek())}`);
    }
    this.next();
    const min = signature.args.length - (signature.optional ?? 0);
    const max = signature.variadic ? Number.POSITIVE_INFINITY : signature.args.length;
    if (args.length < min || args.length > max) {
      const expected = min === max ? `${min}` : `${min} to ${max === Number.POSITIVE_INFINITY ? 'any' : max}`;
      this.fail(`${name.text}() takes ${expected} argument(s), got ${args.length}`, name);
    }
    for (const [i, arg] of args.entries()) {
      const wanted = signature.args[Math.min(i, signature.args.length - 1)];
      if (arg.type !== wanted) {
        this.fail(
          `argument ${i + 1} of ${name.text}() must be a ${typeName(wanted)}, got a ${typeName(arg.type)}`,
          name,
        );
      }
    }
    return { expr: { kind: 'call', func: name.text, args: args.map((a) => a.expr) }, type: signature.returns };
  }
}

function typeName(type: ValueType | undefined): string {
  return type === 'matrix' ? 'range vector' : type === 'vector' ? 'instant vector' : (type ?? 'nothing');
}

/** Parses an expression; throws PromQLError with the position and the reason when it is not valid PromQL. */
export function parsePromQL(input: string): { expr: Expr; type: ValueType } {
  return new Parser(input).parse();
}

/** Every vector selector in an expression, in order of appearance. */
export function selectorsOf(expr: Expr): VectorSelector[] {
  switch (expr.kind) {
    case 'selector':
      return [expr];
    case 'number':
    case 'string':
      return [];
    case 'paren':
    case 'unary':
      return selectorsOf(expr.expr);
    case 'binary':
      return [...selectorsOf(expr.left), ...selectorsOf(expr.right)];
    case 'call':
      return expr.args.flatMap(selectorsOf);
    case 'aggregate':
      return [...(expr.param ? selectorsOf(expr.param) : []), ...selectorsOf(expr.expr)];
  }
}
