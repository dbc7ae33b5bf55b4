import type { Type } from '@nestjs/common';
import { JOB_TYPE, JobTypeMetadata } from './job-type';
import { JOB_TYPES } from './job-types';

/** [type, payload class] of every job type, read from their decorators: for Swagger, which is static. */
export const JOB_PAYLOADS: [string, Type<object>][] = JOB_TYPES.map((jobType) => {
  const meta = Reflect.getMetadata(JOB_TYPE, jobType) as JobTypeMetadata;
  return [meta.type, meta.payload];
});
