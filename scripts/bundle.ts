/**
 * How lifeboat's TypeScript becomes the JavaScript it ships: one set of esbuild options, used by `npm run build`
 * (scripts/build.ts) for the package and the image, and by the benchmarks (bench/support/image-process.ts), whose
 * helper processes must run lifeboat's code in the form the image runs it.
 *
 * Why a bundle rather than one compiled file per module: V8 keeps every module's record and source text, and under
 * `--jitless` compiles each function from that text when first called. ~350 modules and 1.4 MB of source held
 * ~2 MiB more resident memory in an idle operator than a few minified chunks (docs/install.md "Resources").
 * Identifiers keep their names (`keepNames`), so stack traces and error class names read as in the source; source
 * maps sit beside the chunks for `node --enable-source-maps`.
 *
 * Left out of the bundle: `@kubernetes/client-node`, which `src/kube/client.ts` loads with `require` only for
 * kubeconfigs that need it (exec plugins, auth providers), from node_modules as installed with the package. Its
 * `ApiException` (`src/kube/errors.ts`) stays out with it: a bundled copy would be another class, and the library's
 * errors would fail the `instanceof` test.
 */
import { type BuildOptions, build, type Metafile } from 'esbuild';

export interface BundleRequest {
  /** The directory esbuild resolves entry points and packages from (the repository). */
  root: string;
  /** Output file name (without `.js`) → entry source, relative to `root`. */
  entries: Readonly<Record<string, string>>;
  outDir: string;
}

const OPTIONS: BuildOptions = {
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  // Code reached only through `import()` (each CLI command) lands in chunks of its own and loads when first needed.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: ['@kubernetes/client-node'],
  // Bundled CommonJS packages call `require` for Node's built-ins, which an ES module does not have.
  banner: {
    js: "import{createRequire as __lifeboatRequire}from'node:module';const require=__lifeboatRequire(import.meta.url);",
  },
  minify: true,
  keepNames: true,
  legalComments: 'linked',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
};

/** Bundles `entries` into `outDir` (which it fills, not empties): what was written. */
export async function bundle(request: BundleRequest): Promise<Metafile> {
  const result = await build({
    ...OPTIONS,
    absWorkingDir: request.root,
    entryPoints: Object.entries(request.entries).map(([out, source]) => ({ in: source, out })),
    outdir: request.outDir,
  });
  if (result.errors.length > 0 || !result.metafile) throw new Error(`esbuild reported ${result.errors.length} errors`);
  return result.metafile;
}

/** "45 files, 1.35 MB of JavaScript", for build logs. */
export function describeOutput(meta: Metafile): string {
  const js = Object.entries(meta.outputs).filter(([file]) => file.endsWith('.js'));
  return `${js.length} files, ${(js.reduce((sum, [, o]) => sum + o.bytes, 0) / 1e6).toFixed(2)} MB of JavaScript`;
}
