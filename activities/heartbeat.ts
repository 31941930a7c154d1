/**
 * Heartbeats while a long activity runs: if its worker dies, Temporal notices within the activity's
 * heartbeat timeout (seconds) instead of its start-to-close timeout (minutes) and retries elsewhere.
 */
import { Context } from '@temporalio/activity';

const EVERY_MS = 5_000;

export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const beat = setInterval(heartbeat, EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

function heartbeat(): void {
  try {
    const context = Context.current();
    // A local activity cannot heartbeat: the SDK keeps its workflow task alive instead.
    if (!context.info.isLocal) context.heartbeat();
  } catch {
    // called outside an activity (a test calling the function directly): nobody to tell
  }
}
