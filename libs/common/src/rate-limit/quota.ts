import { CallHandler, createParamDecorator, ExecutionContext, Logger, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { catchError, concatMap, Observable } from 'rxjs';
import { AppError } from '../errors/app-error';
import { FixedWindowLimiter, WindowState } from './fixed-window-limiter';

/** How the 429 message names what is counted: "You can <verb> a maximum of <limit> <unit> per minute." */
export interface QuotaWording {
  verb: string;
  unit: string;
}

/** A per-user limit: the limiter and how its answers read. */
export class Quota {
  constructor(
    readonly limiter: FixedWindowLimiter,
    readonly wording: QuotaWording,
  ) {}

  charge(subject: string, response: Response) {
    return new QuotaCharge(this, subject, response);
  }
}

const logger = new Logger('Quota');

/**
 * What one request took from a quota. Every call sets the X-RateLimit-* headers from the state it read, so the
 * answer shows the count after any refund.
 */
export class QuotaCharge {
  private taken = 0;
  private kept = 0;
  private windowId = '';

  constructor(
    private readonly quota: Quota,
    private readonly subject: string,
    private readonly response: Response,
  ) {}

  /** Takes `units`, or none: 429 RATE_LIMITED (Retry-After, numbers in the message) when they do not fit. */
  async take(units: number) {
    const { limiter, wording } = this.quota;
    const result = await limiter.consume(this.subject, units);
    this.show(result);
    if (result.allowed) {
      if (units > 0) [this.taken, this.windowId] = [this.taken + units, result.windowId];
      return;
    }
    this.response.setHeader('Retry-After', result.resetSeconds);
    const per = limiter.windowSeconds === 60 ? 'minute' : `${limiter.windowSeconds} seconds`;
    const left = Math.max(0, result.limit - result.used);
    const needs =
      units > 1 ? ` This request needs ${units} and ${left} ${left === 1 ? 'is' : 'are'} left.` : '';
    throw new AppError(
      'RATE_LIMITED',
      `Too many requests. You can ${wording.verb} a maximum of ${result.limit} ${wording.unit} per ${per}.` +
        `${needs} Try again in ${result.resetSeconds} seconds.`,
    );
  }

  /** Marks `units` of what was taken as spent for good: work was done, whatever the answer. */
  keep(units: number) {
    this.kept = Math.min(this.taken, this.kept + units);
  }

  /** Gives back `units` (default: all not kept) to the window they came from; never fails the request. */
  async refund(units = this.taken - this.kept) {
    const back = Math.min(units, this.taken - this.kept);
    if (back <= 0) return;
    this.taken -= back;
    try {
      this.show(await this.quota.limiter.refund(this.subject, back, this.windowId));
    } catch (error) {
      logger.warn({ err: error, quota: this.quota.limiter.name }, 'Quota refund failed');
    }
  }

  private show({ limit, used, resetSeconds }: WindowState) {
    if (this.response.headersSent) return;
    this.response.setHeader('X-RateLimit-Limit', limit);
    this.response.setHeader('X-RateLimit-Remaining', Math.max(0, limit - used));
    this.response.setHeader('X-RateLimit-Reset', resetSeconds);
  }
}

const CHARGE = Symbol('quota charge');

/** The route's QuotaCharge, for a handler that learns its cost as it runs (see QuotaInterceptor.cost). */
export const CurrentCharge = createParamDecorator(
  (_: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<Request & { [CHARGE]: QuotaCharge }>()[CHARGE],
);

/**
 * Charges a route to a per-user quota: `cost` units before the request is validated (so an over-limit request
 * is refused first, and every answer carries the headers), given back when the request ends without having
 * made anything: an error answer (4xx, or a 5xx, as these routes commit their work last), or a success that
 * `madeNothing` (say, an idempotent replay).
 */
export abstract class QuotaInterceptor implements NestInterceptor {
  protected abstract readonly quota: Quota;

  /** Units taken up front; 0 when the handler takes them itself (CurrentCharge) once it knows how many. */
  protected abstract cost(request: Request & { user: { id: string } }): number | Promise<number>;

  protected madeNothing(_response: Response): boolean {
    return false;
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<Request & { user: { id: string } }>();
    const response = context.switchToHttp().getResponse<Response>();
    const charge = this.quota.charge(request.user.id, response);
    Object.assign(request, { [CHARGE]: charge });
    await charge.take(await this.cost(request));
    return next.handle().pipe(
      concatMap(async (value: unknown) => {
        if (this.madeNothing(response)) await charge.refund();
        return value;
      }),
      catchError(async (error: unknown) => {
        await charge.refund();
        throw error;
      }),
    );
  }
}
