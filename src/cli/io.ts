/**
 * Where a command writes; tests pass buffers, `main.ts` passes the process streams. In a module of its own so that the
 * commands need not import program.ts, which imports them.
 */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
