import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PromQLError, parsePromQL, selectorsOf, type ValueType } from './promql.ts';

describe('parsePromQL: valid expressions', () => {
  const valid: [string, ValueType, string[]][] = [
    ['up', 'vector', ['up']],
    ['up{job="lifeboat"} == 1', 'vector', ['up']],
    ['absent(up{job="lifeboat"} == 1)', 'vector', ['up']],
    [
      'sum by (cause) (increase(lifeboat_decisions_total{decision="unknown"}[5m])) > 0',
      'vector',
      ['lifeboat_decisions_total'],
    ],
    ['sum(rate(a_total[5m])) by (x)', 'vector', ['a_total']],
    [
      'lifeboat_catalog_age_seconds > lifeboat_catalog_staleness_bound_seconds',
      'vector',
      ['lifeboat_catalog_age_seconds', 'lifeboat_catalog_staleness_bound_seconds'],
    ],
    ['(min(cert_expiry) - time()) < 7 * 86400', 'vector', ['cert_expiry']],
    ['time() - 5', 'scalar', []],
    ['1 < bool 2', 'scalar', []],
    ['a > on (tier) group_left () (2 * max by (tier) (b))', 'vector', ['a', 'b']],
    ['a * ignoring (le) group_right (x, y) b', 'vector', ['a', 'b']],
    ['histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))', 'vector', ['x_bucket']],
    ['topk(5, sum by (pvc) (x))', 'vector', ['x']],
    ['count_values("v", x)', 'vector', ['x']],
    ['a and b or c unless d', 'vector', ['a', 'b', 'c', 'd']],
    ['-a ^ 2 ^ 3', 'vector', ['a']],
    ['x{a=~"b|c", d!~"e.*", f!=""}', 'vector', ['x']],
    ['rate(x[1h30m] offset 5m)', 'vector', ['x']],
    ['label_replace(x, "dst", "$1", "src", "(.*)")', 'vector', ['x']],
    ['round(x)', 'vector', ['x']],
    ['round(x, 0.5)', 'vector', ['x']],
    ['max_over_time(x[10m]) # trailing comment', 'vector', ['x']],
    ['x == Inf', 'vector', ['x']],
  ];
  for (const [expression, type, names] of valid) {
    it(expression, () => {
      const parsed = parsePromQL(expression);
      assert.equal(parsed.type, type);
      assert.deepEqual(
        selectorsOf(parsed.expr).map((s) => s.name),
        names,
      );
    });
  }

  it('keeps label matchers and ranges', () => {
    const [selector] = selectorsOf(parsePromQL('increase(a{job="lifeboat",decision!="fresh"}[15m])').expr);
    assert.deepEqual(selector?.matchers, [
      { label: 'job', op: '=', value: 'lifeboat' },
      { label: 'decision', op: '!=', value: 'fresh' },
    ]);
    assert.equal(selector?.range, '15m');
  });

  it('binds * tighter than + and - left to right', () => {
    const { expr } = parsePromQL('a - b - c * d');
    assert.equal(expr.kind, 'binary');
    if (expr.kind !== 'binary') return;
    assert.equal(expr.op, '-');
    assert.equal(expr.right.kind, 'binary');
    assert.equal(expr.right.kind === 'binary' && expr.right.op, '*');
    assert.equal(expr.left.kind === 'binary' && expr.left.op, '-');
  });
});

describe('parsePromQL: rejects what Prometheus rejects', () => {
  const invalid: [string, RegExp][] = [
    ['', /empty expression/],
    ['sum(rate(x[5m])', /expected ","|expected "\)"/],
    ['sum(x))', /unexpected "\)"/],
    ['(a', /expected "\)", found end of expression/],
    ['a{job="x"', /expected "," or "}"/],
    ['a[5m', /expected "\]"/],
    ['nosuchfunc(x)', /unknown function "nosuchfunc"/],
    ['constructor(x)', /unknown function "constructor"/],
    ['rate(x)', /argument 1 of rate\(\) must be a range vector, got a instant vector/],
    ['absent(x[5m])', /must be a instant vector, got a range vector/],
    ['time(1)', /time\(\) takes 0 argument/],
    ['histogram_quantile(x, y)', /argument 1 of histogram_quantile\(\) must be a scalar/],
    ['sum(x[5m])', /aggregates an instant vector, got a range vector/],
    ['topk(x)', /topk\(\) takes a scalar parameter first/],
    ['sum by (a) (x) by (b)', /two by\/without clauses/],
    ['1 > 2', /between two scalars needs "bool"/],
    ['a + bool b', /"bool" is only allowed after a comparison/],
    ['a and 1', /set operator "and" needs instant vectors/],
    ['a and on (x) group_left b', /group_left is not allowed with the set operator/],
    ['a + on (x) 1', /need instant vectors on both sides/],
    ['x[5m] + 1', /range vector/],
    ['rate(x[5m:1m])', /subqueries are not supported/],
    ['x[5]', /expected a duration/],
    ['5m', /only allowed in a range or after offset/],
    ['a{b=c}', /expected a quoted label value/],
    ['a{b~"c"}', /unexpected character "~"|expected =/],
    ['a{b=~"("}', /invalid regular expression/],
    ['{}', /at least one non-empty matcher/],
    ['a "b"', /unexpected "b"|unexpected/],
    ['a{b="c\\q"}', /unknown escape/],
    ['"open', /unterminated string/],
    ['a @ 5', /unexpected character "@"/],
    ['by', /unexpected keyword "by"/],
  ];
  for (const [expression, message] of invalid) {
    it(JSON.stringify(expression), () => {
      assert.throws(
        () => parsePromQL(expression),
        (error: unknown) => error instanceof PromQLError && message.test(error.message),
      );
    });
  }
});
