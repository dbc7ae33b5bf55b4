import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import { simpleParser, type ParsedMail } from 'mailparser';
import sharp from 'sharp';
import { SMTPServer } from 'smtp-server';
import { createTestApp, type TestApp } from '@app/testing/create-test-app';
import { parsePdf } from '@app/testing/parse-pdf';
import { makeUser, type TestUser } from '@app/testing/factories';
import { submitJob, waitForJob, type JobBody } from '@app/testing/jobs';

/** The seven job types of API.md, with the payload class each one is validated against. */
const JOB_TYPES: [string, string][] = [
  ['send-email', 'SendEmailPayload'],
  ['generate-report', 'GenerateReportPayload'],
  ['resize-image', 'ResizeImagePayload'],
  ['csv-export', 'CsvExportPayload'],
  ['http-request', 'HttpRequestPayload'],
  ['data-processing', 'DataProcessingPayload'],
  ['sleep', 'SleepPayload'],
];

const MAIL_FROM = 'Conveyor Tests <jobs@conveyor.test>';

interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Every job type through the HTTP API of the real app, with its BullMQ worker in-process (PROCESS_ROLE=all):
 * submit with POST /api/jobs, wait on GET /api/jobs/:id, check the result and the artifact as served by
 * GET /api/jobs/:id/artifact. Mail goes to a real SMTP server, images and HTTP calls to a local server.
 */
describe('Job types (e2e)', () => {
  let t: TestApp;
  let owner: TestUser;

  let smtp: SMTPServer;
  const mails: { envelopeTo: string[]; mail: ParsedMail }[] = [];

  let http: Server;
  let httpBase: string;
  const requests: RecordedRequest[] = [];
  /** 120×80, left half red, right half blue. */
  let sourcePng: Buffer;

  beforeAll(async () => {
    sourcePng = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#ff0000' } })
      .composite([
        {
          input: { create: { width: 60, height: 80, channels: 3, background: '#0000ff' } },
          left: 60,
          top: 0,
        },
      ])
      .png()
      .toBuffer();

    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            mails.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
    smtp.listen(0, '127.0.0.1');
    await once(smtp.server, 'listening');
    const smtpPort = (smtp.server.address() as AddressInfo).port;

    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url === '/image.png') res.writeHead(200, { 'content-type': 'image/png' }).end(sourcePng);
        else if (req.url === '/large') res.writeHead(200).end('x'.repeat(100 * 1024));
        else if (req.url === '/broken') res.writeHead(503).end('down for maintenance');
        else if (req.url?.startsWith('/echo'))
          res
            .writeHead(201, { 'content-type': 'text/plain; charset=utf-8' })
            .end(`received ${req.method} ${body}`);
        else res.writeHead(404).end('not found');
      });
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

    t = await createTestApp({
      PROCESS_ROLE: 'all',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM,
      ALLOW_PRIVATE_NETWORK_TARGETS: 'true',
    });
    owner = await makeUser(t);
  });

  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  /** Submits as `user` (API key), waits for a terminal status and expects DONE. */
  async function runJob(body: Record<string, unknown>, user: TestUser = owner): Promise<JobBody> {
    const submitted = await submitJob(t, user.apiKey, body);
    expect(submitted).toMatchObject({ type: body.type, status: 'PENDING' });
    const job = await waitForJob(t, user.apiKey, submitted.id);
    expect(job).toMatchObject({ id: submitted.id, status: 'DONE', error: null, attempts: 1 });
    return job;
  }

  /** GET of an artifact URL (`/api/jobs/<id>/artifact`) as `user`, body as bytes. */
  async function download(path: string, user: TestUser = owner) {
    const res = await fetch(`${t.url}${path}`, { headers: { 'X-API-Key': user.apiKey } });
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      disposition: res.headers.get('content-disposition') ?? '',
      body: Buffer.from(await res.arrayBuffer()),
    };
  }

  const artifactPath = (id: string) => `/api/jobs/${id}/artifact`;

  describe('send-email', () => {
    it('delivers the message over SMTP with recipient, subject, text and html', async () => {
      const payload = {
        to: 'ada@example.com',
        subject: 'Your report is ready ✓',
        body: 'Hello Ada,\n\nyour report is ready.',
        html: '<p>Hello <b>Ada</b>, your report is ready.</p>',
      };
      const before = Date.now();
      const job = await runJob({ type: 'send-email', payload });

      expect(job.result).toEqual({
        messageId: expect.stringMatching(/^<.+@.+>$/),
        accepted: ['ada@example.com'],
        sentAt: expect.any(String),
      });
      const result = job.result as { messageId: string; sentAt: string };
      expect(new Date(result.sentAt).toISOString()).toBe(result.sentAt);
      expect(new Date(result.sentAt).getTime()).toBeGreaterThanOrEqual(before - 1000);

      const delivered = mails.find((m) => m.mail.messageId === result.messageId);
      expect(delivered).toBeDefined();
      const { envelopeTo, mail } = delivered!;
      expect(envelopeTo).toEqual(['ada@example.com']);
      expect(mail.to).toMatchObject({ value: [{ address: 'ada@example.com' }] });
      expect(mail.from?.value[0]).toMatchObject({ address: 'jobs@conveyor.test', name: 'Conveyor Tests' });
      expect(mail.subject).toBe(payload.subject);
      expect(mail.text?.trim()).toBe(payload.body);
      expect(mail.html).toContain(payload.html);
    });

    it('sends a text-only message when no html is given', async () => {
      const job = await runJob({
        type: 'send-email',
        payload: { to: 'grace@example.com', subject: 'Plain', body: 'Just text.' },
      });
      const result = job.result as { messageId: string; accepted: string[] };
      expect(result.accepted).toEqual(['grace@example.com']);
      const delivered = mails.find((m) => m.mail.messageId === result.messageId);
      expect(delivered?.envelopeTo).toEqual(['grace@example.com']);
      expect(delivered?.mail.subject).toBe('Plain');
      expect(delivered?.mail.text?.trim()).toBe('Just text.');
      expect(delivered?.mail.html).toBe(false);
    });
  });

  describe('generate-report', () => {
    it('produces a real multi-page PDF, downloadable at reportUrl', async () => {
      const rows = Array.from({ length: 80 }, (_, i) => ({
        region: `Region ${i + 1}`,
        orders: i * 3,
        revenue: i * 101.5,
      }));
      const job = await runJob({
        type: 'generate-report',
        payload: { title: 'Conveyor E2E Sales Report', month: '2026-04', rows },
      });
      expect(job.result).toEqual({
        reportUrl: artifactPath(job.id),
        bytes: expect.any(Number),
        pages: expect.any(Number),
      });
      const result = job.result as { reportUrl: string; bytes: number; pages: number };

      const file = await download(result.reportUrl);
      expect(file.status).toBe(200);
      expect(file.contentType).toMatch(/^application\/pdf\b/);
      expect(file.disposition).toBe('attachment; filename="report.pdf"');
      expect(file.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(file.body.length).toBe(result.bytes);

      const parsed = await parsePdf(file.body);
      expect(parsed.pages).toBe(result.pages);
      expect(result.pages).toBeGreaterThan(1);
      expect(parsed.text).toContain('Conveyor E2E Sales Report');
      expect(parsed.text).toContain('Month: April 2026');
      expect(parsed.text).toContain('Region 80');
      expect(parsed.text).toContain(`Page ${result.pages} of ${result.pages}`);
    });

    // GenerateReportPayload: "The columns are the union of the rows' keys in first-seen order".
    it("prints the table columns in the rows' first-seen order", async () => {
      const rows = [{ name: 'n1', id: 'i1', amount: 'a1' }, { note: 'x2' }];
      const job = await runJob({ type: 'generate-report', payload: { title: 'Column order', rows } });
      const file = await download(artifactPath(job.id));
      expect(file.status).toBe(200);
      const { text } = await parsePdf(file.body);
      expect(text).toMatch(/name\s+id\s+amount\s+note/);
      expect(text).toMatch(/n1\s+i1\s+a1\s/);
    });
  });

  describe('resize-image', () => {
    it('resizes a base64 image to exactly width × height in the asked format', async () => {
      const imageBase64 = sourcePng.toString('base64');
      expect(imageBase64.length).toBeLessThan(100 * 1024); // far under the 1 MiB body limit
      const job = await runJob({
        type: 'resize-image',
        payload: { imageBase64, width: 60, height: 50, format: 'jpeg' },
      });
      expect(job.result).toEqual({
        artifactUrl: artifactPath(job.id),
        width: 60,
        height: 50,
        format: 'jpeg',
        bytes: expect.any(Number),
      });

      const file = await download(artifactPath(job.id));
      expect(file.status).toBe(200);
      expect(file.contentType).toMatch(/^image\/jpeg\b/);
      expect(file.body.length).toBe((job.result as { bytes: number }).bytes);
      expect(await sharp(file.body).metadata()).toMatchObject({ width: 60, height: 50, format: 'jpeg' });
    });

    it('downloads imageUrl from a local server and keeps the aspect ratio with width alone', async () => {
      const job = await runJob({
        type: 'resize-image',
        payload: { imageUrl: `${httpBase}/image.png`, width: 60, format: 'webp' },
      });
      expect(requests).toContainEqual(expect.objectContaining({ method: 'GET', url: '/image.png' }));
      expect(job.result).toMatchObject({ width: 60, height: 40, format: 'webp' });

      const file = await download(artifactPath(job.id));
      expect(file.status).toBe(200);
      expect(file.contentType).toMatch(/^image\/webp\b/);
      expect(file.body.length).toBe((job.result as { bytes: number }).bytes);
      expect(await sharp(file.body).metadata()).toMatchObject({ width: 60, height: 40, format: 'webp' });
    });
  });

  describe('csv-export', () => {
    it('exports RFC 4180 CSV that parses back to the submitted rows', async () => {
      const data = [
        {
          name: 'Hopper, Grace',
          quote: 'She said "hi"',
          note: 'line one\nline two',
          city: 'Zürich 東京 🚀',
        },
        { name: 'Ada "Countess" Lovelace', quote: '', note: 'cr\r\nlf', city: 'Łódź' },
        { name: 'Plain', quote: 'x,"y",z', note: ' padded ', city: 'München' },
      ];
      const job = await runJob({ type: 'csv-export', payload: { data } });
      expect(job.result).toEqual({ artifactUrl: artifactPath(job.id), rows: 3, bytes: expect.any(Number) });

      const file = await download(artifactPath(job.id));
      expect(file.status).toBe(200);
      expect(file.contentType).toMatch(/^text\/csv\b/);
      expect(file.disposition).toBe('attachment; filename="export.csv"');
      expect(file.body.length).toBe((job.result as { bytes: number }).bytes);
      const csv = file.body.toString('utf8');
      expect(parse(csv, { columns: true })).toEqual(data);
    });

    it('writes the given columns, in their order', async () => {
      const data = [
        { a: 1, b: 'two', c: true },
        { a: 4, c: null },
      ];
      const job = await runJob({ type: 'csv-export', payload: { data, columns: ['c', 'a'] } });
      const file = await download(artifactPath(job.id));
      expect(file.body.toString('utf8')).toBe('c,a\r\ntrue,1\r\n,4\r\n');
      expect(job.result).toMatchObject({ rows: 2, bytes: file.body.length });
    });

    // API.md / CsvExportPayload: "Default: every key, in first-seen order".
    it("writes every key as a column, in the rows' first-seen order, by default", async () => {
      const data = [
        { name: 'n1', id: 'i1', amount: 'a1' },
        { note: 'x2', name: 'n2' },
      ];
      const job = await runJob({ type: 'csv-export', payload: { data } });
      const file = await download(artifactPath(job.id));
      expect(file.body.toString('utf8')).toBe('name,id,amount,note\r\nn1,i1,a1,\r\nn2,,,x2\r\n');
    });
  });

  describe('http-request', () => {
    it('calls the URL with the method, headers and body, and returns the answer', async () => {
      const body = JSON.stringify({ hello: 'wörld', n: 1 });
      const job = await runJob({
        type: 'http-request',
        payload: {
          url: `${httpBase}/echo?source=e2e`,
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-conveyor-test': 'abc-123' },
          body,
        },
      });
      const received = requests.find((r) => r.url === '/echo?source=e2e');
      expect(received).toMatchObject({ method: 'PUT', body });
      expect(received?.headers).toMatchObject({
        'content-type': 'application/json',
        'x-conveyor-test': 'abc-123',
      });
      expect(job.result).toMatchObject({ status: 201, body: `received PUT ${body}` });
    });

    it('returns a 5xx answer as a result, and cuts a large body at 64 KiB', async () => {
      const broken = await runJob({ type: 'http-request', payload: { url: `${httpBase}/broken` } });
      expect(broken.result).toMatchObject({ status: 503, body: 'down for maintenance' });
      expect(requests).toContainEqual(expect.objectContaining({ method: 'GET', url: '/broken' }));

      const large = await runJob({ type: 'http-request', payload: { url: `${httpBase}/large` } });
      expect(large.result).toMatchObject({ status: 200, body: 'x'.repeat(64 * 1024) });
    });
  });

  describe('data-processing', () => {
    it('computes count, sum, mean, min and max', async () => {
      const numbers = [4, 8, 15, 16, 23, 42, -7.5];
      const job = await runJob({ type: 'data-processing', payload: { numbers } });
      expect(job.result).toEqual({ count: 7, sum: 100.5, mean: expect.any(Number), min: -7.5, max: 42 });
      expect((job.result as { mean: number }).mean).toBeCloseTo(100.5 / 7, 10);
    });
  });

  describe('sleep', () => {
    it('waits and succeeds with sleptMs', async () => {
      const job = await runJob({ type: 'sleep', payload: { delayMs: 50 } });
      expect(job.result).toEqual({ sleptMs: 50 });
      expect(new Date(job.finishedAt!).getTime() - new Date(job.startedAt!).getTime()).toBeGreaterThanOrEqual(
        40,
      );
    });
  });

  describe('GET /api/jobs/:id/artifact', () => {
    let withArtifact: JobBody;
    let withoutArtifact: JobBody;

    beforeAll(async () => {
      withArtifact = await runJob({ type: 'csv-export', payload: { data: [{ secret: 'owner only' }] } });
      withoutArtifact = await runJob({ type: 'data-processing', payload: { numbers: [1] } });
    });

    it("serves the owner's artifact and answers 404 to another user", async () => {
      const mine = await download(artifactPath(withArtifact.id));
      expect(mine.status).toBe(200);
      expect(mine.body.toString('utf8')).toContain('owner only');

      const other = await makeUser(t);
      const res = await t
        .http()
        .get(artifactPath(withArtifact.id))
        .set('X-API-Key', other.apiKey)
        .expect(404);
      expect(res.body).toMatchObject({ success: false, code: 'JOB_NOT_FOUND' });
      expect(JSON.stringify(res.body)).not.toContain('owner only');
    });

    it('answers 404 for a job without an artifact', async () => {
      const res = await t
        .http()
        .get(artifactPath(withoutArtifact.id))
        .set('X-API-Key', owner.apiKey)
        .expect(404);
      expect(res.body).toMatchObject({ success: false, code: expect.any(String) });
    });

    it('answers 404 for a non-UUID id and for an unknown one', async () => {
      for (const id of ['not-a-uuid', '123', '00000000-0000-4000-8000-000000000000']) {
        const res = await t.http().get(artifactPath(id)).set('X-API-Key', owner.apiKey).expect(404);
        expect(res.body).toMatchObject({ success: false, code: 'JOB_NOT_FOUND' });
      }
    });

    it('answers 401 without credentials', async () => {
      await t.http().get(artifactPath(withArtifact.id)).expect(401);
    });
  });

  describe('payload validation at submission', () => {
    let submitter: TestUser;
    const png =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

    beforeAll(async () => {
      submitter = await makeUser(t);
    });

    /** Nothing is written for a rejected submission: the submitter never has a job. */
    afterEach(async () => {
      const list = await t.http().get('/api/jobs').set('X-API-Key', submitter.apiKey).expect(200);
      expect(list.body.meta.total).toBe(0);
      expect(list.body.data).toEqual([]);
    });

    const submit = (body: object) => t.http().post('/api/jobs').set('X-API-Key', submitter.apiKey).send(body);

    it.each<[string, object, string]>([
      ['send-email', { to: 'not-an-email', subject: 'Hi', body: 'b' }, 'payload.to'],
      [
        'send-email',
        { to: 'a@example.com', subject: 'Hi\r\nBcc: x@example.com', body: 'b' },
        'payload.subject',
      ],
      ['send-email', { to: 'a@example.com', subject: 'Hi' }, 'payload.body'],
      ['send-email', { to: 'a@example.com', subject: 'Hi', body: 'b', cc: 'x@example.com' }, 'payload.cc'],
      ['generate-report', { title: '' }, 'payload.title'],
      ['generate-report', { title: 'T', month: '2026-13' }, 'payload.month'],
      ['generate-report', { title: 'T', rows: [1, 2] }, 'payload.rows'],
      ['resize-image', { imageBase64: png, width: 0 }, 'payload.width'],
      ['resize-image', { imageBase64: png, width: 10, height: 2.5 }, 'payload.height'],
      ['resize-image', { imageBase64: png, width: 10, format: 'gif' }, 'payload.format'],
      ['resize-image', { width: 10 }, 'payload.imageBase64'],
      ['resize-image', { imageUrl: 'ftp://example.com/a.png', width: 10 }, 'payload.imageUrl'],
      ['csv-export', { data: { a: 1 } }, 'payload.data'],
      ['csv-export', { data: [{ a: 1 }], columns: ['a', 'a'] }, 'payload.columns'],
      ['http-request', { url: 'file:///etc/passwd' }, 'payload.url'],
      ['http-request', { url: 'https://example.com', method: 'get' }, 'payload.method'],
      ['http-request', { url: 'https://example.com', headers: { 'x-a': 'b\r\nx: y' } }, 'payload.headers'],
      ['data-processing', { numbers: [] }, 'payload.numbers'],
      ['data-processing', { numbers: [1, '2'] }, 'payload.numbers'],
      ['sleep', { delayMs: 60_001 }, 'payload.delayMs'],
      ['sleep', { delayMs: 0, forceFail: 'yes' }, 'payload.forceFail'],
    ])('%s with %j answers 400 naming %s', async (type, payload, field) => {
      const res = await submit({ type, payload }).expect(400);
      expect(res.body).toMatchObject({
        success: false,
        code: 'VALIDATION_FAILED',
        requestId: res.headers['x-request-id'],
      });
      expect(res.body.errors[field]).toEqual(expect.arrayContaining([expect.any(String)]));
      expect(res.body.message).toContain(field);
    });

    it('answers 400 naming payload when it is not an object', async () => {
      for (const payload of ['text', [1, 2], null]) {
        const res = await submit({ type: 'sleep', payload }).expect(400);
        expect(res.body.errors).toHaveProperty(['payload']);
      }
    });

    it('answers 400 for an unknown type, listing all seven registered types', async () => {
      const res = await submit({ type: 'transcode-video', payload: {} }).expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect(res.body.errors.type).toEqual([expect.any(String)]);
      const [message] = res.body.errors.type as string[];
      for (const [type] of JOB_TYPES) expect(message).toContain(type);
      expect(message).not.toContain('transcode-video');
    });
  });

  describe('OpenAPI document', () => {
    type Schema = {
      $ref?: string;
      oneOf?: Schema[];
      enum?: string[];
      required?: string[];
      properties?: Record<string, Schema>;
    };
    let doc: {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>
      >;
      components: { schemas: Record<string, Schema> };
    };

    beforeAll(async () => {
      doc = (await t.http().get('/api/docs-json').expect(200)).body;
    });

    it('documents every payload class in components.schemas', () => {
      for (const [, payloadClass] of JOB_TYPES) {
        expect(doc.components.schemas[payloadClass]?.properties).toBeDefined();
      }
      expect(doc.components.schemas.SendEmailPayload.required).toEqual(
        expect.arrayContaining(['to', 'subject', 'body']),
      );
      expect(doc.components.schemas.ResizeImagePayload.properties?.format.enum).toEqual([
        'png',
        'jpeg',
        'webp',
      ]);
    });

    it("documents POST /api/jobs's payload as a oneOf of the payload classes, and type as their enum", () => {
      const body = doc.paths['/api/jobs'].post.requestBody?.content['application/json'].schema;
      expect(body?.$ref).toBe('#/components/schemas/SubmitJobDto');
      const submit = doc.components.schemas.SubmitJobDto;
      const refs = (submit.properties?.payload.oneOf ?? []).map((s) => s.$ref).sort();
      expect(refs).toEqual(JOB_TYPES.map(([, cls]) => `#/components/schemas/${cls}`).sort());
      expect([...(submit.properties?.type.enum ?? [])].sort()).toEqual(
        JOB_TYPES.map(([type]) => type).sort(),
      );
      expect(submit.required).toEqual(expect.arrayContaining(['type', 'payload']));
    });
  });
});
