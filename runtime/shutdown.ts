/**
 * One way for every process to stop: on SIGINT/SIGTERM, or when the `npm start` launcher that
 * forked it goes away (its IPC channel closes), run the cleanup once and exit.
 */
export function onShutdown(cleanup: () => Promise<void>, deadlineMs = 20_000): void {
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Stopping (${why}) ...`);
    const timer = setTimeout(() => {
      console.error(`Cleanup took longer than ${deadlineMs} ms: exiting anyway`);
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    cleanup().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  if (process.send) process.once('disconnect', () => stop('launcher gone'));
}
