/**
 * How a helper run by image-process.ts reaches lifeboat: the compiled tree, whose path image-process.ts passes in
 * `LIFEBOAT_DIST` (the helper itself runs from a temporary directory).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = process.env.LIFEBOAT_DIST ?? fileURLToPath(new URL('../../dist/', import.meta.url));

/** A module of dist/ by its path there (`catalog/catalog.js`), typed by the caller as its source's module. */
export async function load<T>(module: string): Promise<T> {
  return (await import(join(DIST, module))) as T;
}

/** One of lifeboat's runtime packages, from dist/'s own node_modules. */
export async function loadPackage<T>(name: string): Promise<T> {
  return (await import(createRequire(join(DIST, 'cli/main.js')).resolve(name))) as T;
}
