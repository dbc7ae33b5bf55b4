import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
  Res,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ResponseMessage } from '@app/common/http/response-message.decorator';
import { UuidParam } from '@app/common/http/validation';
import { ApiQuota } from '@app/common/rate-limit/api-quota.decorator';
import { ApiEnvelope, ApiErrors, ApiPaginated } from '@app/common/swagger/api-envelope.decorator';
import { AuthUser, CurrentUser } from '../auth/auth-user';
import { CancelJobCommand } from './commands/cancel-job/cancel-job.command';
import { RetryJobCommand } from './commands/retry-job/retry-job.command';
import { SubmitJobBatchCommand } from './commands/submit-job-batch/submit-job-batch.command';
import { SubmitJobCommand } from './commands/submit-job/submit-job.command';
import { UpdateJobCommand } from './commands/update-job/update-job.command';
import { ListJobsQueryDto, UpdateJobDto } from './dto/job-queries.dto';
import {
  JobBatchResponseDto,
  JobLogResponseDto,
  JobResponseDto,
  JobStatsResponseDto,
} from './dto/job.response.dto';
import { JobQueueStateDto } from './dto/job-queue-state.response.dto';
import { SubmitJobBatchDto, SubmitJobDto } from './dto/submit-job.dto';
import { JOB_PAYLOADS } from './job-types/job-payloads';
import { GetJobArtifactQuery } from './queries/get-job-artifact/get-job-artifact.query';
import { GetJobPositionQuery } from './queries/get-job-position/get-job-position.query';
import { GetJobLogsQuery } from './queries/get-job-logs/get-job-logs.query';
import { GetJobStatsQuery } from './queries/get-job-stats/get-job-stats.query';
import { GetJobQuery } from './queries/get-job/get-job.query';
import { ListJobsQuery } from './queries/list-jobs/list-jobs.query';
import { SubmissionQuota } from './submission/submission-quota.interceptor';

const JobId = () => Param('id', new UuidParam('JOB_NOT_FOUND', 'Job not found'));
/** What the job types store (octet-stream when a stored file has no type). */
const ARTIFACT_TYPES = [
  'application/pdf',
  'text/csv',
  'image/png',
  'image/jpeg',
  'image/webp',
  'application/octet-stream',
];
const SubmissionQuotaDocs = (...statuses: number[]) =>
  ApiQuota('RATE_LIMIT_JOBS_PER_MINUTE', 'Submissions', statuses);

@ApiTags('jobs')
@ApiBearerAuth('bearer')
@ApiSecurity('apiKey')
@ApiExtraModels(...JOB_PAYLOADS.map(([, payload]) => payload))
@Controller('api/jobs')
export class JobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @UseInterceptors(SubmissionQuota)
  @ResponseMessage('Job submitted')
  @ApiOperation({
    summary: 'Submit a job',
    description:
      'Validates the payload against its type, stores the job PENDING and queues it. With an idempotency key ' +
      '(body `idempotencyKey` or header `Idempotency-Key`), a repeat with the same body answers 200 with the ' +
      'original job and `Idempotent-Replayed: true`; another body answers 422; a repeat while the first is ' +
      'still being handled answers 409. Counts one against the per-user submission limit, given back when ' +
      'the answer is an error or an idempotent replay; a key that a job already holds costs nothing, so its ' +
      'replay is answered even at the limit. A job type that keeps a file (csv-export, generate-report, ' +
      'resize-image) answers 403 STORAGE_QUOTA_EXCEEDED while your kept files fill your storage quota.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Safe retries for 24 h (1-255 printable ASCII)',
  })
  @SubmissionQuotaDocs(201, 200)
  @ApiEnvelope(JobResponseDto, { status: HttpStatus.CREATED, description: 'Submitted' })
  @ApiEnvelope(JobResponseDto, {
    status: HttpStatus.OK,
    description: 'Idempotent replay: the original job (header Idempotent-Replayed: true)',
  })
  @ApiErrors(400, 401, 403, 409, 413, 422, 503)
  async submit(
    @CurrentUser() user: AuthUser,
    @Body() dto: SubmitJobDto,
    @Headers('idempotency-key') headerKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { job, replayed } = await this.commands.execute(
      new SubmitJobCommand(user.id, dto, dto.idempotencyKey ?? headerKey),
    );
    if (replayed) res.status(HttpStatus.OK).setHeader('Idempotent-Replayed', 'true');
    return job;
  }

  @Post('batch')
  @UseInterceptors(SubmissionQuota)
  @ResponseMessage('Jobs submitted')
  @ApiOperation({
    summary: 'Submit up to 100 jobs at once',
    description:
      'One transaction: every job is created, or (one bad job) none. Errors name `jobs.<i>.<field>`. ' +
      'Counts one per job against the per-user submission limit (all or none), given back on an error answer. 403 ' +
      'STORAGE_QUOTA_EXCEEDED as for one job.',
  })
  @SubmissionQuotaDocs(201)
  @ApiEnvelope(JobBatchResponseDto, { status: HttpStatus.CREATED, description: 'Submitted' })
  @ApiErrors(400, 401, 403, 413, 503)
  submitBatch(@CurrentUser() user: AuthUser, @Body() dto: SubmitJobBatchDto) {
    return this.commands.execute(new SubmitJobBatchCommand(user.id, dto.jobs));
  }

  @Get()
  @ApiOperation({ summary: "The caller's jobs, newest first" })
  @ApiPaginated(JobResponseDto)
  @ApiErrors(400, 401, 503)
  list(@CurrentUser() user: AuthUser, @Query() query: ListJobsQueryDto) {
    return this.queries.execute(new ListJobsQuery(user.id, query));
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Counts, success rate, last seven days, live queue, storage',
    description: "The caller's jobs; an admin's covers everyone's.",
  })
  @ApiEnvelope(JobStatsResponseDto)
  @ApiErrors(401, 503)
  stats(@CurrentUser() user: AuthUser) {
    return this.queries.execute(new GetJobStatsQuery(user.role === 'admin' ? null : user.id));
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A job',
    description:
      'Served from a cache that every change invalidates: never stale. `queue` (why a PENDING job has not ' +
      'started) is computed on every read.',
  })
  @ApiEnvelope(JobResponseDto)
  @ApiErrors(401, 404, 503)
  get(@CurrentUser() user: AuthUser, @JobId() id: string) {
    return this.queries.execute(new GetJobQuery(user.id, id));
  }

  @Get(':id/position')
  @ApiOperation({
    summary: "A job's place in line",
    description:
      'The `queue` of GET /api/jobs/:id alone, computed live, for clients that poll it: null once the job is ' +
      'no longer PENDING.',
  })
  @ApiEnvelope(JobQueueStateDto, { nullable: true })
  @ApiErrors(401, 404, 503)
  position(@CurrentUser() user: AuthUser, @JobId() id: string) {
    return this.queries.execute(new GetJobPositionQuery(user.id, id));
  }

  @Patch(':id')
  @ResponseMessage('Job updated')
  @ApiOperation({ summary: 'Change priority or start time of a PENDING job' })
  @ApiEnvelope(JobResponseDto)
  @ApiErrors(400, 401, 404, 503)
  update(@CurrentUser() user: AuthUser, @JobId() id: string, @Body() dto: UpdateJobDto) {
    return this.commands.execute(new UpdateJobCommand(user.id, id, dto));
  }

  @Delete(':id')
  @ResponseMessage('Job cancelled')
  @ApiOperation({
    summary: 'Cancel a PENDING or PROCESSING job',
    description: "A running attempt's AbortSignal fires; the job ends CANCELLED.",
  })
  @ApiEnvelope(JobResponseDto)
  @ApiErrors(400, 401, 404, 503)
  cancel(@CurrentUser() user: AuthUser, @JobId() id: string) {
    return this.commands.execute(new CancelJobCommand(user.id, id));
  }

  @Post(':id/retry')
  @UseInterceptors(SubmissionQuota)
  @ResponseMessage('Job re-queued')
  @ApiOperation({
    summary: 'Run a FAILED or CANCELLED job again',
    description:
      'Attempts, result and error are reset. Counts as one submission against the per-user submission ' +
      'limit, given back on an error answer (404, a job that cannot be retried).',
  })
  @SubmissionQuotaDocs(201)
  @ApiEnvelope(JobResponseDto, { status: HttpStatus.CREATED, description: 'Re-queued' })
  @ApiErrors(400, 401, 404, 503)
  retry(@CurrentUser() user: AuthUser, @JobId() id: string) {
    return this.commands.execute(new RetryJobCommand(user.id, id));
  }

  @Get(':id/logs')
  @ApiOperation({ summary: "The job's log, oldest first" })
  @ApiEnvelope(JobLogResponseDto, { isArray: true })
  @ApiErrors(401, 404, 503)
  logs(@CurrentUser() user: AuthUser, @JobId() id: string) {
    return this.queries.execute(new GetJobLogsQuery(user.id, id));
  }

  @Get(':id/artifact')
  @ApiOperation({
    summary: 'The file the job produced (PDF, CSV, image)',
    description: 'Streamed with its content type; 404 when the job has none.',
  })
  @ApiResponse({
    status: 200,
    description: 'The file',
    // Only the file has these types: errors stay JSON (so no @ApiProduces, which would apply to them too).
    content: Object.fromEntries(
      ARTIFACT_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
    ),
  })
  @ApiErrors(401, 404, 503)
  async artifact(@CurrentUser() user: AuthUser, @JobId() id: string) {
    const { stream, contentType, filename } = await this.queries.execute(
      new GetJobArtifactQuery(user.id, id),
    );
    return new StreamableFile(stream, {
      type: contentType,
      disposition: `attachment; filename="${filename}"`,
    });
  }
}
