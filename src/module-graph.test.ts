/**
 * The module map holds: no import cycle between src/ files, every folder arrow points down the layer order
 * (test/support/module-graph.ts, LAYERS), and the picture in ARCHITECTURE.md is the one the imports draw.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ARCHITECTURE_FILE,
  fileCycles,
  importSpecifiers,
  LAYERS,
  layerProblems,
  type ModuleGraph,
  mermaid,
  readModuleGraph,
  SRC_DIR,
  withGraph,
} from '../test/support/module-graph.ts';

describe('the module graph of src/', () => {
  const graph = readModuleGraph(SRC_DIR);

  it('reads the imports of every source file', () => {
    assert.ok(graph.size > 100, `only ${graph.size} files read`);
    assert.ok(graph.get('cli/main.ts')?.includes('cli/program.ts'));
  });

  it('has no import cycle between files', () => {
    assert.deepEqual(fileCycles(graph), []);
  });

  it('has every folder arrow pointing down the layer order', () => {
    assert.deepEqual(layerProblems(graph, LAYERS), []);
  });

  it('is the picture in ARCHITECTURE.md (regenerate it with `node test/support/module-graph.ts`)', () => {
    const architecture = readFileSync(ARCHITECTURE_FILE, 'utf8');
    assert.equal(architecture, withGraph(architecture, mermaid(graph, LAYERS)));
  });
});

describe('importSpecifiers', () => {
  const cases: [string, string, string[]][] = [
    ['named', "import { a, b } from './a.ts';", ['./a.ts']],
    ['type-only, over several lines', "import type {\n  A,\n  B,\n} from '../b/c.ts';", ['../b/c.ts']],
    ['default and named', "import x, { y } from './d.ts';", ['./d.ts']],
    ['namespace', "import * as ns from './e.ts';", ['./e.ts']],
    [
      're-export',
      "export { f } from './f.ts';\nexport * from './g.ts';\nexport type { H } from './h.ts';",
      ['./f.ts', './g.ts', './h.ts'],
    ],
    ['side effect', "import './i.ts';", ['./i.ts']],
    [
      'dynamic and in a type',
      "const m = await import('./j.ts');\ntype K = typeof import('./k.ts');",
      ['./j.ts', './k.ts'],
    ],
    ['packages and built-ins are not part of the map', "import { x } from 'commander';\nimport fs from 'node:fs';", []],
    [
      'words in comments and strings are not imports',
      "/**\n * we import from './no.ts' nothing\n */\nconst s = \"from './no.ts'\";",
      [],
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.deepEqual(importSpecifiers(text), expected));
  }
});

describe('the checks fail where they should', () => {
  const graphOf = (edges: Record<string, string[]>): ModuleGraph => new Map(Object.entries(edges));
  const layers = ['cli', 'plan', 'config'];

  const cycles: [string, Record<string, string[]>, string[][]][] = [
    ['none in a chain', { 'cli/a.ts': ['plan/b.ts'], 'plan/b.ts': ['config/c.ts'], 'config/c.ts': [] }, []],
    [
      'two files through a third',
      { 'cli/a.ts': ['cli/b.ts'], 'cli/b.ts': ['cli/c.ts'], 'cli/c.ts': ['cli/a.ts'], 'cli/d.ts': ['cli/a.ts'] },
      [['cli/a.ts', 'cli/b.ts', 'cli/c.ts']],
    ],
    ['a file importing itself', { 'plan/a.ts': ['plan/a.ts'] }, [['plan/a.ts']]],
  ];
  for (const [name, edges, expected] of cycles) {
    it(`fileCycles: ${name}`, () => assert.deepEqual(fileCycles(graphOf(edges)), expected));
  }

  const layering: [string, Record<string, string[]>, RegExp[]][] = [
    ['arrows down are fine', { 'cli/a.ts': ['plan/b.ts', 'config/c.ts'], 'plan/b.ts': ['config/c.ts'] }, []],
    [
      'an arrow up is named with the imports behind it',
      { 'config/c.ts': ['plan/b.ts'], 'plan/b.ts': [] },
      [/^config → plan points up the layer order \(plan is above config\): config\/c\.ts → plan\/b\.ts$/],
    ],
    [
      'a folder outside the layer order is named',
      { 'cli/a.ts': ['manager/m.ts'], 'manager/m.ts': [] },
      [/^src\/manager\/ is not in the layer order/],
    ],
  ];
  for (const [name, edges, expected] of layering) {
    it(`layerProblems: ${name}`, () => {
      const problems = layerProblems(graphOf(edges), layers);
      assert.equal(problems.length, expected.length, problems.join('\n'));
      for (const [i, re] of expected.entries()) assert.match(problems[i] ?? '', re);
    });
  }

  it('withGraph refuses a document without the markers', () => {
    assert.throws(() => withGraph('# no markers\n', 'flowchart TD'), /lacks the markers/);
  });
});
