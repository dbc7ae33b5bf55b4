import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { CsvExportPayload } from './csv-export/csv-export.payload';
import { DataProcessingPayload } from './data-processing/data-processing.payload';
import { GenerateReportPayload } from './generate-report/generate-report.payload';
import { HttpRequestPayload } from './http-request/http-request.payload';
import { JOB_TYPE, type JobTypeMetadata } from './job-type';
import { JOB_TYPES } from './job-types';
import { ResizeImagePayload } from './resize-image/resize-image.payload';
import { SendEmailPayload } from './send-email/send-email.payload';
import { SleepPayload } from './sleep/sleep.payload';

/** The properties with errors, as the API reports them (`payload.<property>`). */
async function invalidProperties(cls: new () => object, input: object): Promise<string[]> {
  const errors = await validate(plainToInstance(cls, input), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((e: ValidationError) => e.property).sort();
}

const png =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('job types', () => {
  it('registers the seven job types of API.md, each with its payload class', () => {
    const types = JOB_TYPES.map((jobType) => {
      const meta = Reflect.getMetadata(JOB_TYPE, jobType) as JobTypeMetadata;
      return [meta.type, meta.payload.name];
    });
    expect(types).toEqual([
      ['send-email', 'SendEmailPayload'],
      ['generate-report', 'GenerateReportPayload'],
      ['resize-image', 'ResizeImagePayload'],
      ['csv-export', 'CsvExportPayload'],
      ['http-request', 'HttpRequestPayload'],
      ['data-processing', 'DataProcessingPayload'],
      ['sleep', 'SleepPayload'],
    ]);
  });
});

/** `count` rows, each with a key of its own: a table of `count` columns. */
const distinctKeyRows = (count: number) => Array.from({ length: count }, (_, i) => ({ [`k${i}`]: i }));

describe('job payloads', () => {
  it.each<[string, new () => object, object, string[]]>([
    // send-email
    [
      'valid email',
      SendEmailPayload,
      { to: 'ada@example.com', subject: 'Hi', body: 'Hello', html: '<p>x</p>' },
      [],
    ],
    ['bad address', SendEmailPayload, { to: 'not-an-email', subject: 'Hi', body: 'Hello' }, ['to']],
    [
      'subject with CRLF',
      SendEmailPayload,
      { to: 'a@b.co', subject: 'Hi\r\nBcc: x@y.z', body: 'b' },
      ['subject'],
    ],
    ['missing body', SendEmailPayload, { to: 'a@b.co', subject: 'Hi' }, ['body']],
    ['html not a string', SendEmailPayload, { to: 'a@b.co', subject: 'Hi', body: 'b', html: 5 }, ['html']],
    ['unknown field', SendEmailPayload, { to: 'a@b.co', subject: 'Hi', body: 'b', cc: 'x@y.z' }, ['cc']],
    // generate-report
    ['valid report', GenerateReportPayload, { title: 'T', month: '2026-04', rows: [{ a: 1 }] }, []],
    ['empty title', GenerateReportPayload, { title: '' }, ['title']],
    ['month 2026-13', GenerateReportPayload, { title: 'T', month: '2026-13' }, ['month']],
    ['month as a date', GenerateReportPayload, { title: 'T', month: '2026-04-01' }, ['month']],
    ['rows not objects', GenerateReportPayload, { title: 'T', rows: [1, 'x'] }, ['rows']],
    ['rows nested arrays', GenerateReportPayload, { title: 'T', rows: [[1, 2]] }, ['rows']],
    // resize-image
    ['base64 image', ResizeImagePayload, { imageBase64: png, width: 10 }, []],
    ['image URL', ResizeImagePayload, { imageUrl: 'https://example.com/a.png', width: 10, height: 5 }, []],
    ['neither source', ResizeImagePayload, { width: 10 }, ['imageBase64', 'imageUrl']],
    [
      'both sources',
      ResizeImagePayload,
      { imageBase64: png, imageUrl: 'https://example.com/a.png', width: 10 },
      ['imageUrl'],
    ],
    ['empty base64', ResizeImagePayload, { imageBase64: '', width: 10 }, ['imageBase64']],
    ['not base64', ResizeImagePayload, { imageBase64: 'not base64!', width: 10 }, ['imageBase64']],
    ['ftp URL', ResizeImagePayload, { imageUrl: 'ftp://example.com/a.png', width: 10 }, ['imageUrl']],
    ['width 0', ResizeImagePayload, { imageBase64: png, width: 0 }, ['width']],
    ['width too large', ResizeImagePayload, { imageBase64: png, width: 8001 }, ['width']],
    ['height fractional', ResizeImagePayload, { imageBase64: png, width: 10, height: 2.5 }, ['height']],
    ['format gif', ResizeImagePayload, { imageBase64: png, width: 10, format: 'gif' }, ['format']],
    ['8000 × 2097 pixels', ResizeImagePayload, { imageBase64: png, width: 8000, height: 2097 }, []],
    ['8000 × 2098 pixels', ResizeImagePayload, { imageBase64: png, width: 8000, height: 2098 }, ['height']],
    // csv-export
    ['valid export', CsvExportPayload, { data: [{ a: 1 }], columns: ['a'] }, []],
    ['data not an array', CsvExportPayload, { data: { a: 1 } }, ['data']],
    ['data of strings', CsvExportPayload, { data: ['a', 'b'] }, ['data']],
    ['duplicate columns', CsvExportPayload, { data: [], columns: ['a', 'a'] }, ['columns']],
    ['empty column name', CsvExportPayload, { data: [], columns: [''] }, ['columns']],
    ['1000 distinct keys', CsvExportPayload, { data: distinctKeyRows(1000) }, []],
    ['1001 distinct keys', CsvExportPayload, { data: distinctKeyRows(1001) }, ['data']],
    [
      '1001 distinct keys, but columns given',
      CsvExportPayload,
      { data: distinctKeyRows(1001), columns: ['k0'] },
      [],
    ],
    [
      'over 5,000,000 cells',
      CsvExportPayload,
      { data: [...distinctKeyRows(1000), ...Array.from({ length: 4001 }, () => ({}))] },
      ['data'],
    ],
    // http-request
    [
      'valid request',
      HttpRequestPayload,
      { url: 'http://localhost:3000/x', method: 'POST', headers: { 'x-a': 'b' }, body: '{}' },
      [],
    ],
    ['no url', HttpRequestPayload, { method: 'GET' }, ['url']],
    ['file URL', HttpRequestPayload, { url: 'file:///etc/passwd' }, ['url']],
    ['credentials in URL', HttpRequestPayload, { url: 'https://user:pw@example.com/' }, ['url']],
    ['lowercase method', HttpRequestPayload, { url: 'https://example.com', method: 'get' }, ['method']],
    [
      'header value a number',
      HttpRequestPayload,
      { url: 'https://example.com', headers: { 'x-n': 1 } },
      ['headers'],
    ],
    [
      'header with CRLF',
      HttpRequestPayload,
      { url: 'https://example.com', headers: { 'x-a': 'b\r\nx: y' } },
      ['headers'],
    ],
    [
      'bad header name',
      HttpRequestPayload,
      { url: 'https://example.com', headers: { 'bad name': 'v' } },
      ['headers'],
    ],
    ['body an object', HttpRequestPayload, { url: 'https://example.com', body: { a: 1 } }, ['body']],
    // data-processing
    ['numbers', DataProcessingPayload, { numbers: [1, 2.5, -3] }, []],
    ['no numbers', DataProcessingPayload, { numbers: [] }, ['numbers']],
    ['a string among numbers', DataProcessingPayload, { numbers: [1, '2'] }, ['numbers']],
    [
      'too many numbers',
      DataProcessingPayload,
      { numbers: Array.from({ length: 100_001 }, () => 1) },
      ['numbers'],
    ],
    // sleep
    ['sleep', SleepPayload, { delayMs: 0, failTimes: 2, forceFail: false }, []],
    ['delay too long', SleepPayload, { delayMs: 60_001 }, ['delayMs']],
    ['negative delay', SleepPayload, { delayMs: -1 }, ['delayMs']],
    ['failTimes fractional', SleepPayload, { delayMs: 0, failTimes: 1.5 }, ['failTimes']],
    ['forceFail a string', SleepPayload, { delayMs: 0, forceFail: 'yes' }, ['forceFail']],
  ])('%s → errors on %j', async (_name, cls, input, expected) => {
    expect(await invalidProperties(cls, input)).toEqual(expected);
  });
});

describe('payload bounds', () => {
  const messages = async (cls: new () => object, input: object) =>
    (await validate(plainToInstance(cls, input))).flatMap((e) => Object.values(e.constraints ?? {}));

  it('names the distinct keys of csv-export data and the cells they make', async () => {
    expect(await messages(CsvExportPayload, { data: distinctKeyRows(1001) })).toEqual([
      'data must have at most 1000 distinct keys (columns) across its rows',
    ]);
    const cells = [...distinctKeyRows(1000), ...Array.from({ length: 4001 }, () => ({}))];
    expect(await messages(CsvExportPayload, { data: cells })).toEqual([
      'data must make at most 5000000 cells (rows × columns), not 5001000',
    ]);
  });

  it('reports 100,000 column names by their count alone, with no uniqueness check on them', async () => {
    const columns = Array.from({ length: 100_000 }, (_, i) => `c${i % 10}`); // duplicates too
    expect(await messages(CsvExportPayload, { data: [], columns })).toEqual([
      'columns must contain no more than 1000 elements',
    ]);
  });

  it('still finds duplicate columns within the size bound', async () => {
    expect(await messages(CsvExportPayload, { data: [], columns: ['a', 'b', 'a'] })).toEqual([
      "All columns's elements must be unique",
    ]);
  });

  it('bounds resize-image output pixels', async () => {
    expect(await messages(ResizeImagePayload, { imageBase64: png, width: 8000, height: 8000 })).toEqual([
      'width × height must be at most 16777216 pixels',
    ]);
  });
});
