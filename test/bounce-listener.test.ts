/**
 * The late-bounce listener when Temporal is away: a report it cannot hand over is refused for now
 * (451), so the sending server keeps the message and tries again; nothing it answered 250 for is lost.
 */
import { Client, Connection } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { sendLateReport } from '../dev/lab-reports';
import { type BounceListener, startBounceListener } from '../inbound/listener';
import { returnPathFor } from '../inbound/return-path';
import { freePort } from '../dev/ports';
import { TEST_FEEDBACK_ADDRESS, TEST_RETURN_PATH } from './support/delivery-harness';

let listener: BounceListener;
let connection: Connection;

beforeAll(async () => {
  // A Temporal address where nothing listens.
  connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  listener = await startBounceListener(
    {
      client: new Client({ connection }),
      taskQueue: 'nowhere',
      keys: TEST_RETURN_PATH,
      feedbackAddress: TEST_FEEDBACK_ADDRESS,
      maxBytes: 100_000,
      maxConnections: 5,
      handoffDeadlineMs: 1_000,
    },
    { port: 0, host: '127.0.0.1' },
  );
});
afterAll(async () => {
  await listener?.stop();
  await connection?.close().catch(() => undefined);
});

test('when Temporal is away, then a report for a signed return path is refused for now (451)', async () => {
  const returned = {
    returnPath: returnPathFor('42', TEST_RETURN_PATH),
    recipient: 'a@b.example',
    headers: 'Subject: x',
  };
  await expect(
    sendLateReport('hard', returned, { url: listener.url, feedbackAddress: TEST_FEEDBACK_ADDRESS }),
  ).rejects.toMatchObject({ responseCode: 451 });
});

test('when a message is larger than the limit, then it is refused (552) and nothing is handed over', async () => {
  const transport = nodemailer.createTransport({ url: listener.url } as never);
  try {
    await expect(
      transport.sendMail({
        envelope: { from: '', to: [returnPathFor('42', TEST_RETURN_PATH)] },
        raw: `Subject: big\r\n\r\n${'x'.repeat(200_000)}`,
      }),
    ).rejects.toMatchObject({ responseCode: 552 });
  } finally {
    transport.close();
  }
});

test('when a message names more recipients than a report has, then the extra ones are refused (452)', async () => {
  const transport = nodemailer.createTransport({ url: listener.url } as never);
  const to = Array.from({ length: 25 }, (_, i) => returnPathFor(String(i + 1), TEST_RETURN_PATH));
  try {
    // The message itself is no report: it is taken (250) for the 20 first and changes nothing.
    const info = (await transport.sendMail({ envelope: { from: '', to }, raw: 'Subject: x\r\n\r\nx' })) as {
      accepted: string[];
      rejectedErrors?: Array<{ responseCode?: number }>;
    };
    expect(info.accepted).toHaveLength(20);
    expect(info.rejectedErrors?.map((e) => e.responseCode)).toEqual([452, 452, 452, 452, 452]);
  } finally {
    transport.close();
  }
});
