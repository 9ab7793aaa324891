import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

/** The internal modules node has loaded after importing `specifier` in a fresh process. */
function builtinsLoadedBy(specifier: string): string[] {
  const script = `await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(process.moduleLoadList));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('node-http', () => {
  it('an ESM import of node:http loads node’s bundled undici (what nodeHttp avoids)', () => {
    assert.ok(builtinsLoadedBy('node:http').some((m) => m.includes('undici')));
    assert.ok(!builtinsLoadedBy(new URL('./node-http.ts', import.meta.url).href).some((m) => m.includes('undici')));
  });

  it('the operator’s modules (lifeboat run) do not load undici', () => {
    const loaded = builtinsLoadedBy(new URL('./cli/run.ts', import.meta.url).href);
    assert.ok(
      loaded.some((m) => m.includes('internal/http')),
      'the probe sees node:http being loaded',
    );
    assert.deepEqual(
      loaded.filter((m) => m.includes('undici')),
      [],
    );
  });
});
