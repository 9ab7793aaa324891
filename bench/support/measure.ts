/** Taking samples: wall-clock times of repeated runs, and two contenders measured in alternating order. */
import { execFile } from 'node:child_process';
import { roundOrder } from './stats.ts';

/** Wall-clock milliseconds of one run of `fn`. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** `times` samples of `fn`, one after another. */
export async function sampled(times: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push(await timed(fn));
  return samples;
}

/**
 * `rounds` samples of each contender, the order alternating every round (see roundOrder), so sample i of one is
 * taken right next to sample i of the other. Each function returns its own sample (usually a time), which lets a
 * contender leave out its set-up.
 */
export async function alternated(
  rounds: number,
  first: () => Promise<number>,
  second: () => Promise<number>,
): Promise<{ first: number[]; second: number[] }> {
  const result = { first: [] as number[], second: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    for (const side of roundOrder(round, 'first' as const, 'second' as const)) {
      result[side].push(await (side === 'first' ? first() : second()));
    }
  }
  return result;
}

/** Runs a command to its end and resolves with its standard output; rejects with its standard error. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
