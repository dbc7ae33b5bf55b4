import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { testConfig, testingContext } from '@app/testing/job-context';
import { SendEmailJob } from './send-email.job';

describe(SendEmailJob.name, () => {
  let server: SMTPServer;
  let port: number;
  const received: { envelopeTo: string[]; mail: ParsedMail }[] = [];
  /** When set, the server holds the DATA phase until the test's promise resolves. */
  let holdData: Promise<void> | undefined;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream)
          .then(async (mail) => {
            await holdData;
            received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const makeHandler = () =>
    new SendEmailJob(
      testConfig({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Conveyor <no-reply@conveyor.test>' }),
    );

  it('delivers the message over SMTP with to, subject, text and html', async () => {
    const handler = makeHandler();
    const { context, logs, cleanup } = testingContext();
    try {
      const result = await handler.run(
        {
          to: 'ada@example.com',
          subject: 'Report ready',
          body: 'Plain text body',
          html: '<p>HTML <b>body</b></p>',
        },
        context,
      );
      expect(result.messageId).toMatch(/^<.+@.+>$/);
      expect(result.accepted).toEqual(['ada@example.com']);
      expect(new Date(result.sentAt).toISOString()).toBe(result.sentAt);

      const { envelopeTo, mail } = received.at(-1)!;
      expect(envelopeTo).toEqual(['ada@example.com']);
      expect(mail.messageId).toBe(result.messageId);
      expect(mail.subject).toBe('Report ready');
      expect(mail.text?.trim()).toBe('Plain text body');
      expect(mail.html).toContain('<p>HTML <b>body</b></p>');
      expect(mail.from?.value[0]).toMatchObject({ address: 'no-reply@conveyor.test', name: 'Conveyor' });
      expect(logs.at(-1)?.message).toContain(result.messageId);
    } finally {
      handler.onApplicationShutdown();
      cleanup();
    }
  });

  it('sends several messages through one pooled transport', async () => {
    const handler = makeHandler();
    const { context, cleanup } = testingContext();
    try {
      const results = await Promise.all(
        ['a@example.com', 'b@example.com', 'c@example.com'].map((to) =>
          handler.run({ to, subject: `Hi ${to}`, body: 'x' }, context),
        ),
      );
      expect(results.map((r) => r.accepted[0]).sort()).toEqual([
        'a@example.com',
        'b@example.com',
        'c@example.com',
      ]);
      expect(new Set(results.map((r) => r.messageId)).size).toBe(3);
    } finally {
      handler.onApplicationShutdown();
      cleanup();
    }
  });

  it('fails with the abort reason when the signal fires mid-delivery, and the pool keeps working', async () => {
    const handler = makeHandler();
    const first = testingContext();
    const second = testingContext();
    let release!: () => void;
    holdData = new Promise((resolve) => (release = resolve));
    try {
      const pending = handler.run({ to: 'slow@example.com', subject: 'Slow', body: 'x' }, first.context);
      setTimeout(() => first.controller.abort(new Error('Job timed out after 100 ms')), 100);
      await expect(pending).rejects.toThrow('Job timed out after 100 ms');
      release();
      holdData = undefined;

      const after = await handler.run({ to: 'next@example.com', subject: 'Next', body: 'y' }, second.context);
      expect(after.accepted).toEqual(['next@example.com']);
    } finally {
      release();
      holdData = undefined;
      handler.onApplicationShutdown();
      first.cleanup();
      second.cleanup();
    }
  });

  it('fails when the SMTP server cannot be reached', async () => {
    const handler = new SendEmailJob(testConfig({ SMTP_URL: 'smtp://127.0.0.1:1' }));
    const { context, cleanup } = testingContext();
    try {
      await expect(handler.run({ to: 'ada@example.com', subject: 's', body: 'b' }, context)).rejects.toThrow(
        /ECONNREFUSED/,
      );
    } finally {
      handler.onApplicationShutdown();
      cleanup();
    }
  });
});
