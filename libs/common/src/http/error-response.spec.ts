import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import MaxRetriesPerRequestError from 'ioredis/built/errors/MaxRetriesPerRequestError';
import { QueryFailedError } from 'typeorm';
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

  it.each([
    ['ECONNREFUSED', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['PostgreSQL 57P01', withCode('boom', '57P01')],
    ['ioredis MaxRetriesPerRequestError', new MaxRetriesPerRequestError(20)],
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
