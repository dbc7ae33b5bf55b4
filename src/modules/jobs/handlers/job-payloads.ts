import type { Type } from '@nestjs/common';
import { JOB_HANDLER, JobHandlerMetadata } from './job-handler';
import { JOB_HANDLERS } from './job-handlers';

/** [type, payload class] of every handler, read from their decorators: for Swagger, which is static. */
export const JOB_PAYLOADS: [string, Type<object>][] = JOB_HANDLERS.map((handler) => {
  const meta = Reflect.getMetadata(JOB_HANDLER, handler) as JobHandlerMetadata;
  return [meta.type, meta.payload];
});
