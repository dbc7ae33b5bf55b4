import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toErrorResponse } from './error-response';

/**
 * The one error shape of the API (see error-response.ts). `translate` lets the app name errors that mean
 * something to it (e.g. a write for a deleted user is that user's 401) before they count as unexpected.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  constructor(private readonly translate: (error: unknown) => Error | undefined = () => undefined) {}

  catch(error: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string }>();
    const response = http.getResponse<Response>();
    const { status, body, unexpected } = toErrorResponse(
      this.translate(error) ?? error,
      String(request.id ?? ''),
    );
    if (unexpected) this.logger.error({ err: error, requestId: body.requestId }, 'Unhandled error');
    else if (status === HttpStatus.SERVICE_UNAVAILABLE)
      this.logger.warn({ err: error }, 'Backing service unavailable');
    if (status === HttpStatus.TOO_MANY_REQUESTS) {
      body.retryAfter = Number(response.getHeader('Retry-After') ?? 60);
      if (!response.hasHeader('Retry-After')) response.setHeader('Retry-After', body.retryAfter);
    }
    if (!response.headersSent) response.status(status).json(body);
  }
}
