/** The V8 flags the container image runs with (the Dockerfile's ENTRYPOINT): processes are measured as shipped. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/support/testenv.ts';

export const IMAGE_NODE_FLAGS: readonly string[] = (() => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  return entry ? (JSON.parse(entry) as string[]).filter((a) => a.startsWith('--')) : [];
})();
