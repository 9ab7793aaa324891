/**
 * node:http, taken with `process.getBuiltinModule` rather than an ESM import. An ESM import of node:http (named or
 * default) builds the module's namespace, which reads every export, including the lazy `WebSocket`, `CloseEvent` and
 * `MessageEvent` getters; they load node's bundled undici (a 745 KiB script), which lifeboat never uses and which
 * alone cost an idle `lifeboat run` about 10 MiB of resident memory.
 * `import type` from node:http costs nothing and stays where it is.
 */
export const nodeHttp: typeof import('node:http') = process.getBuiltinModule('node:http');
