/**
 * Loaded into each test file's own process (`node --test --import`). A file still running after
 * LIFEBOAT_TEST_FILE_LIMIT_MS (default 15 minutes, 45 for a real-node file; the slowest other file takes about one)
 * ends with exit status 70 and names what keeps it alive. Without it, a forgotten interval or socket after a failed
 * assertion keeps the file's process alive until CI's own limit, and the run ends with a timeout instead of the
 * failure.
 *
 * The timer is unref'd: a file that ends normally exits at once, never waiting for it. Outside a test file's process
 * (no NODE_TEST_CONTEXT) it does nothing.
 */
// A real-node file also waits for its turn at the node (the cluster's one lifeboat installation, a rebuild waiting
// until it is the only user), up to the length of the real-node files beside it: it gets longer.
const realNodeFile = /realnode-[^/]*\.test\.ts$/.test(process.argv[1] ?? '');
const limitMs = Number(process.env.LIFEBOAT_TEST_FILE_LIMIT_MS ?? (realNodeFile ? 45 : 15) * 60_000);

if (process.env.NODE_TEST_CONTEXT && Number.isFinite(limitMs) && limitMs > 0) {
  setTimeout(() => {
    const alive = process
      .getActiveResourcesInfo()
      .filter((r) => r !== 'TTYWrap')
      .join(', ');
    process.stderr.write(
      `[watchdog] ${process.argv[1] ?? 'this test file'} still running after ${Math.round(limitMs / 1000)} s: ` +
        `a test hangs or left something running (active: ${alive || 'nothing'}). Exiting.\n`,
    );
    process.exit(70);
  }, limitMs).unref();
}
