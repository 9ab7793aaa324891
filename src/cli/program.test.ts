import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VERSION } from '../version.ts';
import { buildProgram, COMMANDS, runCli } from './program.ts';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const status = await runCli(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { status, out, err };
}

describe('lifeboat CLI', () => {
  it('prints help listing its commands', async () => {
    const r = await run('--help');
    assert.equal(r.status, 0);
    assert.match(r.out, /Usage: lifeboat/);
    assert.match(r.out, /version/);
  });

  it('loads each command from the module the command table names, and lists them all in help', async () => {
    const io = { out: () => {}, err: () => {} };
    for (const [name, load] of COMMANDS) {
      const program = buildProgram(io, 'lifeboat', [await load()]);
      assert.deepEqual(
        program.commands.map((c) => c.name()),
        ['version', name],
        `${name}: its module registers another command`,
      );
    }
    const help = (await run('--help')).out;
    for (const [name] of COMMANDS) assert.match(help, new RegExp(`^  ${name} `, 'm'), `${name} missing from --help`);
    // A command's own help and its usage errors come from its module alone.
    assert.match((await run('render', '--help')).out, /Usage: lifeboat render/);
    assert.match((await run('completion', 'bash')).out, /serve-catalog/);
  });

  it('prints its version as text and JSON', async () => {
    assert.match((await run('version')).out, new RegExp(`^lifeboat ${VERSION.replaceAll('.', '\\.')} \\(node `));
    const json = JSON.parse((await run('version', '--output', 'json')).out);
    assert.equal(json.lifeboat, VERSION);
  });

  it('rejects an unknown output format with a message naming the fix', async () => {
    const r = await run('version', '-o', 'xml');
    assert.equal(r.status, 1);
    assert.match(
      r.err,
      /argument 'xml' is invalid\. Allowed choices are text, json, yaml\.\n\(run `lifeboat version --help` for usage\)/,
    );
  });

  it('rejects an unknown command with a non-zero status', async () => {
    const r = await run('frobnicate');
    assert.notEqual(r.status, 0);
    assert.match(r.err, /unknown command/);
  });
});
