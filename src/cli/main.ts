import { basename } from 'node:path';
import { runCli } from './program.ts';

// Output piped into a reader that stopped (`lifeboat catalog | head`): end quietly, like other Unix tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

// Started as kubectl's plugin (bin/kubectl-lifeboat.js), help and messages say `kubectl lifeboat`, the way the user
// typed it.
const name = basename(process.argv[1] ?? '').startsWith('kubectl-lifeboat') ? 'kubectl lifeboat' : 'lifeboat';
const status = await runCli(
  process.argv.slice(2),
  {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  },
  name,
);
process.exitCode = status;
