/**
 * The module graph of src/, drawn from the imports: which file imports which, folded into folders. It backs the
 * architecture test (src/module-graph.test.ts: no import cycle between files, every folder arrow pointing down the
 * layer order below) and the picture in ARCHITECTURE.md, which `node test/support/module-graph.ts` rewrites between
 * its markers.
 *
 * Imports are read from the source text: every ES module form that names a module at the start of a line (`import …
 * from`, `export … from`, side-effect `import '…'`) and `import('…')` anywhere, type-only ones included (a type import
 * is a dependency on the module's meaning too). Only relative specifiers count; packages and node: built-ins are not
 * part of the map. Test files are left out: tests may reach anywhere.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folders of src/, top first. A folder may import only folders after it: the CLI wires everything, the operator's
 * loops sit above the pure decisions, and the kube layer, the config, the movers (each with its repository reader)
 * and what every reader shares sit at the bottom. `(root)` is the files directly in src/ (the version, node:http, the
 * template renderer). A new folder must be placed here before its first import.
 */
export const LAYERS = [
  'cli',
  'deploy',
  'controller',
  'restore',
  'admission',
  'http',
  'status',
  'decision',
  'plan',
  'intent',
  'catalog',
  'manager',
  'kube',
  'config',
  'mover',
  'repository',
  '(root)',
] as const;

/** File (relative to src/, `/`-separated) → the src/ files it imports. */
export type ModuleGraph = ReadonlyMap<string, readonly string[]>;

// The clause between the keyword and `from`: `X`, `{ … }`, `X, { … }`, `* as X`, `*`, each optionally `type`.
const CLAUSE = String.raw`(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\}|[\w$]+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+[\w$]+))?)`;
const STATIC = new RegExp(String.raw`^[ \t]*(?:import|export)\s+${CLAUSE}\s*from\s*['"]([^'"]+)['"]`, 'gm');
const SIDE_EFFECT = /^[ \t]*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative specifiers a module imports: static ones in order, then dynamic ones. */
export function importSpecifiers(text: string): string[] {
  const found = [STATIC, SIDE_EFFECT, DYNAMIC].flatMap((re) => [...text.matchAll(re)].map((m) => m[1] as string));
  return found.filter((specifier) => specifier.startsWith('.'));
}

/** The graph of every non-test `.ts` file under `srcDir`; imports leaving src/ (package.json) are dropped. */
export function readModuleGraph(srcDir: string): ModuleGraph {
  const root = resolve(srcDir);
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const from = toPosix(relative(root, path));
        const deps = importSpecifiers(readFileSync(path, 'utf8'))
          .map((s) => posix.normalize(posix.join(posix.dirname(from), s)))
          .filter((d) => !d.startsWith('../'));
        graph.set(from, [...new Set(deps)]);
      }
    }
  };
  walk(root);
  return graph;
}

function toPosix(path: string): string {
  return path.split('\\').join('/');
}

/** The top folder of a src/ file, `(root)` for a file directly in src/. */
export function folderOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? '(root)' : file.slice(0, slash);
}

/** Every import cycle between files (strongly connected components of more than one file, or a file importing itself). */
export function fileCycles(graph: ModuleGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Folder → folder arrows, each with the file imports behind it. */
export function folderEdges(graph: ModuleGraph): Map<string, Map<string, string[]>> {
  const edges = new Map<string, Map<string, string[]>>();
  for (const [from, deps] of graph) {
    for (const to of deps) {
      const a = folderOf(from);
      const b = folderOf(to);
      if (a === b) continue;
      const out = edges.get(a) ?? new Map<string, string[]>();
      edges.set(a, out);
      out.set(b, [...(out.get(b) ?? []), `${from} → ${to}`]);
    }
  }
  return edges;
}

/** Folders missing from `layers`, and arrows that point up (or sideways, to a folder not below), each with why. */
export function layerProblems(graph: ModuleGraph, layers: readonly string[]): string[] {
  const problems: string[] = [];
  const rank = new Map(layers.map((l, i) => [l, i]));
  const folders = new Set([...graph.keys()].map(folderOf));
  for (const folder of [...folders].sort()) {
    if (!rank.has(folder)) {
      problems.push(`src/${folder}/ is not in the layer order: add it to LAYERS in test/support/module-graph.ts`);
    }
  }
  for (const [from, out] of folderEdges(graph)) {
    for (const [to, imports] of out) {
      const a = rank.get(from);
      const b = rank.get(to);
      if (a === undefined || b === undefined || b > a) continue;
      problems.push(`${from} → ${to} points up the layer order (${to} is above ${from}): ${imports.join(', ')}`);
    }
  }
  return problems;
}

/** The folder graph as a Mermaid flowchart, folders in layer order, arrows sorted. */
export function mermaid(graph: ModuleGraph, layers: readonly string[]): string {
  const id = (folder: string) => (folder === '(root)' ? 'root' : folder);
  const label = (folder: string) => (folder === '(root)' ? 'src/*.ts' : `${folder}/`);
  const present = new Set([...graph.keys()].map(folderOf));
  const order = [...layers.filter((l) => present.has(l)), ...[...present].filter((f) => !layers.includes(f)).sort()];
  const lines = ['flowchart TD'];
  for (const folder of order) lines.push(`  ${id(folder)}["${label(folder)}"]`);
  const edges = folderEdges(graph);
  for (const from of order) {
    const out = edges.get(from);
    if (!out) continue;
    for (const to of order.filter((f) => out.has(f))) lines.push(`  ${id(from)} --> ${id(to)}`);
  }
  return lines.join('\n');
}

const BEGIN = '<!-- module-graph:begin (generated by node test/support/module-graph.ts; do not edit) -->';
const END = '<!-- module-graph:end -->';

/** `architecture` with the generated block replaced; throws when the markers are missing. */
export function withGraph(architecture: string, chart: string): string {
  const start = architecture.indexOf(BEGIN);
  const end = architecture.indexOf(END);
  if (start < 0 || end < start) throw new Error(`ARCHITECTURE.md lacks the markers ${BEGIN} … ${END}`);
  return `${architecture.slice(0, start)}${BEGIN}\n\`\`\`mermaid\n${chart}\n\`\`\`\n${architecture.slice(end)}`;
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SRC_DIR = join(REPO, 'src');
export const ARCHITECTURE_FILE = join(REPO, 'ARCHITECTURE.md');

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = readFileSync(ARCHITECTURE_FILE, 'utf8');
  writeFileSync(ARCHITECTURE_FILE, withGraph(text, mermaid(readModuleGraph(SRC_DIR), LAYERS)));
  console.log(`wrote the module graph into ${relative(process.cwd(), ARCHITECTURE_FILE)}`);
}
