import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { atLeast, atMost } from '../../bench/support/goal.ts';
import { type BenchResult, compared, fmt, markdown, measured } from '../../bench/support/report.ts';

describe('bench report', () => {
  it('reports the median of the samples and keeps every sample', () => {
    const m = measured('scan', 'ms', [30, 10, 20], 'fresh process');
    assert.deepEqual(m, { name: 'scan', value: 20, unit: 'ms', samples: [30, 10, 20], method: 'fresh process' });
  });

  it('judges a comparison by its worst sample, not its median', () => {
    const c = compared({ name: 'scan', meaning: 'a / b', goal: atMost(0.5), samples: [0.2, 0.3, 0.6], method: 'm' });
    assert.equal(c.ratio, 0.3);
    assert.equal(c.worst, 0.6);
    assert.equal(c.met, false);
    assert.equal(c.goal, '≤ 0.5');
    const speedUp = compared({ name: 'x', meaning: 'b / a', goal: atLeast(10), samples: [12, 50, 11], method: 'm' });
    assert.equal(speedUp.worst, 11);
    assert.equal(speedUp.met, true);
  });

  const numbers: { n: number; want: string }[] = [
    { n: 12_345.6, want: '12346' },
    { n: 42.345, want: '42.3' },
    { n: 0.012345, want: '0.0123' },
    { n: Number.NaN, want: 'NaN' },
  ];
  for (const c of numbers) it(`formats ${c.n} as ${c.want}`, () => assert.equal(fmt(c.n), c.want));

  it('puts samples, range, worst sample and method next to each number', () => {
    const result: BenchResult = {
      name: 'catalog',
      setup: ['one repository'],
      comparisons: [
        compared({
          name: 'cold scan',
          meaning: 'lifeboat / kopia',
          goal: atMost(0.5),
          samples: [0.4, 0.45, 0.3],
          method: '3 rounds, order alternating',
        }),
        { name: 'legacy', ratioMeaning: 'p99 / 5 ms', ratio: 0.8, goal: '≤ 1', met: true },
      ],
      measurements: [
        measured('scan | cold', 'ms', [100, 120, 90], 'fresh `node`\nprocess'),
        { name: 'heap', value: 27.8, unit: 'MiB' },
      ],
    };
    const md = markdown([result], { date: 'today', 'load average (1, 5, 15 min) before': '1.00, 2.00, 3.00' });
    const lines = md.split('\n');
    assert.ok(lines.includes('- load average (1, 5, 15 min) before: 1.00, 2.00, 3.00'));
    assert.ok(lines.includes('## catalog'));
    assert.ok(lines.includes('- one repository'));
    assert.ok(
      lines.includes(
        '| cold scan | 0.400 | 0.300–0.450 | 3 | lifeboat / kopia | ≤ 0.5 | yes (worst 0.450) | 3 rounds, order alternating |',
      ),
      md,
    );
    assert.ok(lines.includes('| legacy | 0.800 | — | 1 | p99 / 5 ms | ≤ 1 | yes |  |'), md);
    assert.ok(lines.includes('| scan \\| cold | 100.0 | 90.0–120.0 | 3 | ms | fresh `node` process |'), md);
    assert.ok(lines.includes('| heap | 27.8 | — | 1 | MiB |  |'), md);
  });
});
