import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { validationError } from '@app/common/http/validation';
import { toJobView } from '../../job-view';
import { IDEMPOTENCY_KEY_FORMAT, Idempotency } from '../../submission/idempotency';
import { JobDrafts } from '../../submission/job-drafts';
import { JobEnqueuer } from '../../submission/job-enqueuer';
import { requestHash } from '../../submission/request-hash';
import { SubmitJobCommand } from './submit-job.command';

@CommandHandler(SubmitJobCommand)
export class SubmitJobHandler implements ICommandHandler<SubmitJobCommand> {
  constructor(
    private readonly drafts: JobDrafts,
    private readonly enqueuer: JobEnqueuer,
    private readonly idempotency: Idempotency,
  ) {}

  async execute({ userId, dto, idempotencyKey }: SubmitJobCommand) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_FORMAT.test(idempotencyKey)) {
      throw validationError({
        'Idempotency-Key': ['Idempotency-Key must be 1-255 printable ASCII characters'],
      });
    }
    const [draft] = await this.drafts.fromDtos(userId, [{ dto, prefix: '' }]);
    const submit = async () => toJobView((await this.enqueuer.submit([draft], 'api'))[0]);
    if (!idempotencyKey) return { job: await submit(), replayed: false };

    const { idempotencyKey: _, ...body } = dto;
    const hash = requestHash(body);
    Object.assign(draft, { idempotencyKey, requestHash: hash });
    return this.idempotency.run(userId, idempotencyKey, hash, submit);
  }
}
