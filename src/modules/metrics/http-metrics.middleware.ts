import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics';

/** The label of a request that matched no route: one series for all of them, never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';

type RoutedRequest = Pick<Request, 'baseUrl'> & { route?: { path?: unknown } };

/**
 * The route pattern Express matched (`/api/jobs/:id`), read once the response is sent. Nest mounts this
 * middleware as a catch-all route of its own, so a request still carrying that route (`own`) matched nothing.
 */
export function routeLabel(req: RoutedRequest, own?: unknown): string {
  const path = req.route && req.route !== own ? req.route.path : undefined;
  if (typeof path !== 'string') return UNMATCHED_ROUTE;
  return `${req.baseUrl ?? ''}${path}` || '/';
}

/** Times every HTTP request into `conveyor_http_request_duration_seconds{route,method,status}`. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: Metrics) {}

  use(req: Request, res: Response, next: NextFunction) {
    const end = this.metrics.httpRequestDuration.startTimer();
    const own: unknown = (req as RoutedRequest).route;
    res.once('finish', () =>
      end({ route: routeLabel(req, own), method: req.method, status: String(res.statusCode) }),
    );
    next();
  }
}
