/**
 * How the container image starts lifeboat, read from the Dockerfile's last stage: the V8 flags of its ENTRYPOINT and
 * the variables its ENV lines set. Benchmarks and the artefact test start processes with both, so what they measure
 * and check is the process as shipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './testenv.ts';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const lastStage = dockerfile.slice(dockerfile.search(/^FROM (?![\s\S]*^FROM )/m));

/** The flags in front of the script in ENTRYPOINT, e.g. `--max-old-space-size=192`. */
export const IMAGE_NODE_FLAGS: readonly string[] = (() => {
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(lastStage)?.[1];
  return entry ? (JSON.parse(entry) as string[]).filter((a) => a.startsWith('--')) : [];
})();

/** The variables ENV sets (`ENV NAME=value` or `ENV NAME value`), e.g. `{ NODE_ENV: 'production' }`. */
export const IMAGE_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  [...lastStage.matchAll(/^ENV (\w+)[= ](.*)$/gm)].map(([, name, value]) => [name as string, (value as string).trim()]),
);
