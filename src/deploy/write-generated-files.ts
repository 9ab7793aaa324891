/** Rewrites the generated files (generated-files.ts) from their sources: `node src/deploy/write-generated-files.ts`. */
import { writeFileSync } from 'node:fs';
import { GENERATED_FILES } from './generated-files.ts';

const root = new URL('../../', import.meta.url);
for (const file of GENERATED_FILES) {
  writeFileSync(new URL(file.path, root), file.content());
  process.stdout.write(`wrote ${file.path}\n`);
}
