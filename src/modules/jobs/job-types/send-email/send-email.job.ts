import { OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createTransport, type Transporter } from 'nodemailer';
import type { Env } from '../../../../config/env';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { SendEmailPayload } from './send-email.payload';

export interface SendEmailResult {
  messageId: string;
  accepted: string[];
  sentAt: string;
}

/** Sends one message over SMTP_URL, from MAIL_FROM, through a pooled connection shared by all jobs. */
@JobType('send-email', SendEmailPayload)
export class SendEmailJob implements JobRunner<SendEmailPayload, SendEmailResult>, OnApplicationShutdown {
  private readonly transport: Transporter;

  constructor(config: ConfigService<Env, true>) {
    this.transport = createTransport(
      { url: config.get('SMTP_URL', { infer: true }), pool: true },
      { from: config.get('MAIL_FROM', { infer: true }) },
    );
  }

  async run({ to, subject, body, html }: SendEmailPayload, context: JobContext): Promise<SendEmailResult> {
    // On abort the pool fails this message and closes the connection that carries it, not the others.
    const info = await this.transport
      .sendMail({ to, subject, text: body, html, signal: context.signal })
      .catch((error: unknown) => {
        context.signal.throwIfAborted(); // the job's own reason (cancelled, timed out) over nodemailer's
        throw error;
      });
    const accepted = info.accepted ?? [];
    context.log(`Sent message ${info.messageId} to ${accepted.join(', ')}`);
    return { messageId: info.messageId, accepted, sentAt: new Date().toISOString() };
  }

  /** After the worker has let its running jobs finish (QueueWorkers.onModuleDestroy), not alongside it. */
  onApplicationShutdown() {
    this.transport.close();
  }
}
