import { Command } from '@nestjs/cqrs';
import type { SubmitJobDto } from '../../dto/submit-job.dto';
import type { Submitted } from '../../submission/idempotency';

export class SubmitJobCommand extends Command<Submitted> {
  constructor(
    readonly userId: string,
    readonly dto: SubmitJobDto,
    /** From the body's `idempotencyKey` or the `Idempotency-Key` header. */
    readonly idempotencyKey?: string,
  ) {
    super();
  }
}
