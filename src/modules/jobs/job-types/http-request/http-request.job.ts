import { ConfigService } from '@nestjs/config';
import { outboundRequest } from '@app/common/net/outbound-http';
import type { Env } from '../../../../config/env';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { HttpRequestPayload } from './http-request.payload';

export interface HttpRequestResult {
  status: number;
  /** The response body as UTF-8 text, cut at 64 KiB. */
  body: string;
  /** Whether the body was cut. */
  truncated: boolean;
}

export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

/**
 * Calls a URL once. Any answer is a result, 4xx and 5xx included (check `status`); the job fails only when
 * no answer comes: a network error, a refused private target, a cancel or a time-out.
 */
@JobType('http-request', HttpRequestPayload)
export class HttpRequestJob implements JobRunner<HttpRequestPayload, HttpRequestResult> {
  private readonly allowPrivate: boolean;

  constructor(config: ConfigService<Env, true>) {
    this.allowPrivate = config.get('ALLOW_PRIVATE_NETWORK_TARGETS', { infer: true });
  }

  async run(
    { url, method = 'GET', headers, body }: HttpRequestPayload,
    context: JobContext,
  ): Promise<HttpRequestResult> {
    const response = await outboundRequest(url, {
      method,
      headers,
      body,
      signal: context.signal,
      allowPrivate: this.allowPrivate,
      maxBodyBytes: MAX_RESPONSE_BODY_BYTES,
    });
    context.log(`${method} ${new URL(url).origin} answered ${response.status}`);
    return { status: response.status, body: response.body.toString('utf8'), truncated: response.truncated };
  }
}
