import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import MaxRetriesPerRequestError from 'ioredis/built/errors/MaxRetriesPerRequestError';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { AppError } from '../errors/app-error';
import { isBackendUnavailable, toErrorResponse } from './error-response';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe(toErrorResponse.name, () => {
  it('maps an AppError to its status, code, message and field errors', () => {
    const error = new AppError('EMAIL_TAKEN', 'Email already registered', { email: ['taken'] });
    expect(toErrorResponse(error, 'r1')).toEqual({
      status: 400,
      body: {
        success: false,
        message: 'Email already registered',
        code: 'EMAIL_TAKEN',
        requestId: 'r1',
        errors: { email: ['taken'] },
      },
      unexpected: false,
    });
    expect(toErrorResponse(new AppError('JOB_NOT_FOUND', 'Job not found'), 'r1').body).not.toHaveProperty(
      'errors',
    );
  });

  it('maps HttpExceptions by status and joins message lists', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /x'), 'r1')).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', message: 'Cannot GET /x' },
      unexpected: false,
    });
    expect(toErrorResponse(new BadRequestException(['a is bad', 'b is bad']), 'r1').body).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'a is bad; b is bad',
    });
    expect(toErrorResponse(new HttpException('Bad gateway', 502), 'r1')).toMatchObject({
      status: 502,
      body: { code: 'INTERNAL' },
    });
  });

  it('maps ThrottlerException to RATE_LIMITED', () => {
    expect(toErrorResponse(new ThrottlerException(), 'r1')).toMatchObject({
      status: 429,
      body: { code: 'RATE_LIMITED', message: 'Too many requests. Try again later.' },
    });
  });

  it.each([
    ['entity.parse.failed', 400, 'MALFORMED_JSON'],
    ['entity.too.large', 413, 'PAYLOAD_TOO_LARGE'],
    ['encoding.unsupported', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['charset.unsupported', 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('maps the body-parser error %s to %i %s', (type, status, code) => {
    const error = Object.assign(new SyntaxError('Unexpected token'), { type, status: 400 });
    expect(toErrorResponse(error, 'r1')).toMatchObject({ status, body: { code }, unexpected: false });
  });

  it('answers 404 for a path parameter whose percent-encoding is broken', () => {
    const cause = Object.assign(new URIError("Failed to decode param '%ZZ'"), { status: 400 });
    expect(toErrorResponse(new BadRequestException(cause.message, { cause }), 'r1')).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', message: 'Not found' },
    });
  });

  it('maps other client errors of Express middleware (http-errors) by status', () => {
    const inflate = Object.assign(new Error('incorrect header check'), { status: 400, expose: true });
    expect(toErrorResponse(inflate, 'r1')).toMatchObject({
      status: 400,
      body: { code: 'MALFORMED_JSON', message: 'Malformed request body: incorrect header check' },
      unexpected: false,
    });
    const forbidden = Object.assign(new Error('verify failed'), { status: 403, expose: true });
    expect(toErrorResponse(forbidden, 'r1')).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    const hidden = Object.assign(new Error('secret'), { status: 400, expose: false });
    expect(toErrorResponse(hidden, 'r1')).toMatchObject({ status: 500, unexpected: true });
  });

  it.each([
    ['ECONNREFUSED', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['PostgreSQL 57P01', withCode('boom', '57P01')],
    ['ioredis MaxRetriesPerRequestError', new MaxRetriesPerRequestError(20)],
    [
      'TypeORM QueryRunnerAlreadyReleasedError (its connection dropped)',
      new QueryRunnerAlreadyReleasedError(),
    ],
    [
      'a node-postgres client that lost its connection',
      new QueryFailedError(
        'SELECT 1',
        [],
        new Error('Client has encountered a connection error and is not queryable'),
      ),
    ],
    [
      'QueryFailedError with driverError',
      new QueryFailedError('SELECT 1', [], withCode('read', 'ECONNRESET')),
    ],
    ['an error caused by one', new Error('query failed', { cause: withCode('no route', 'EHOSTUNREACH') })],
  ])('answers 503 for %s', (_label, error) => {
    expect(isBackendUnavailable(error)).toBe(true);
    expect(toErrorResponse(error, 'r1')).toEqual({
      status: 503,
      body: {
        success: false,
        code: 'SERVICE_UNAVAILABLE',
        message: 'A backing service is unavailable. Try again shortly.',
        requestId: 'r1',
      },
      unexpected: false,
    });
  });

  it.each([
    ['an Error', new Error('secret detail')],
    ['a failed query', new QueryFailedError('INSERT', [], withCode('duplicate key value', '23505'))],
    ['a thrown string', 'oops'],
    ['null', null],
  ])('hides %s behind INTERNAL and flags it unexpected', (_label, error) => {
    expect(toErrorResponse(error, 'r1')).toEqual({
      status: 500,
      body: { success: false, code: 'INTERNAL', message: 'Internal server error', requestId: 'r1' },
      unexpected: true,
    });
  });
});
