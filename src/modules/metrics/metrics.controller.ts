import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppError } from '@app/common/errors/app-error';
import type { Env } from '../../config/env';
import { Public } from '../auth/auth-user';
import { Metrics } from './metrics';
import { METRICS_UNAUTHORIZED, metricsAccessAllowed } from './metrics-token';

/** Prometheus scrapes here: plain text, outside the JSON envelope and the OpenAPI document. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly config: ConfigService<Env, true>,
  ) {}

  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() res: Response) {
    if (!metricsAccessAllowed(authorization, this.config.get('METRICS_TOKEN', { infer: true }))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new AppError('UNAUTHORIZED', METRICS_UNAUTHORIZED);
    }
    const text = await this.metrics.text();
    res.setHeader('Cache-Control', 'no-store');
    res.type(this.metrics.contentType).send(text);
  }
}
