/** The floor workflows' activities: nothing at all, or one message through the SMTP sender of the worker. */
import type { createSmtpSender } from '../../activities/smtp';

export function createFloorActivities(smtp: ReturnType<typeof createSmtpSender>) {
  return {
    async returnAtOnce(): Promise<void> {},
    async sendOne(to: string): Promise<void> {
      const id = `${Date.now()}.${Math.random().toString(36).slice(2)}@bench.example`;
      const result = await smtp.send({
        to,
        from: 'news@sender.example',
        fromName: null,
        returnPath: 'bounces@bench.example',
        subject: 'Hello',
        text: 'Hi there',
        html: null,
        messageId: `<${id}>`,
        headers: {},
      });
      if (!result.accepted) throw new Error(`floor send refused: ${result.reply}`);
    },
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
