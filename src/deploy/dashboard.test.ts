import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkExpression } from '../../test/support/expressions.ts';
import { DASHBOARD_ROWS, grafanaDashboard } from './dashboard.ts';

describe('Grafana dashboard', () => {
  for (const row of DASHBOARD_ROWS) {
    for (const panel of row.panels) {
      it(`${row.title} / ${panel.title}: every query parses and reads exported metrics only`, () => {
        assert.ok(panel.queries.length > 0);
        for (const query of panel.queries) {
          assert.deepEqual(checkExpression(query.expr, ['exported', 'external']).problems, [], query.expr);
        }
      });
    }
  }

  it('panels do not overlap and stay within the 24-column grid', () => {
    const panels = grafanaDashboard().panels as {
      id: number;
      gridPos: { x: number; y: number; w: number; h: number };
    }[];
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'unique panel ids');
    for (const [i, a] of panels.entries()) {
      assert.ok(a.gridPos.x + a.gridPos.w <= 24);
      for (const b of panels.slice(i + 1)) {
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        assert.ok(apart, `panels ${a.id} and ${b.id} overlap`);
      }
    }
  });
});
