// Fails the whole run early, with the fix, when a service the suites need is missing.
import { connect } from '@nats-io/transport-node';
import { NATS_URL } from './helpers/env.js';

export default async function setup(): Promise<void> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 3_000 });
    await nc.close();
  } catch (err) {
    throw new Error(
      `tests need a NATS server at ${NATS_URL} (${(err as Error).message}). Run them with \`npm test\`, which starts one.`,
    );
  }
}
