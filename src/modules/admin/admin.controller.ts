import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ResponseMessage } from '@app/common/http/response-message.decorator';
import { CurrentCharge, QuotaCharge } from '@app/common/rate-limit/quota';
import { UuidParam } from '@app/common/http/validation';
import { ApiEnvelope, ApiErrors, ApiPaginated } from '@app/common/swagger/api-envelope.decorator';
import { AuthUser, CurrentUser } from '../auth/auth-user';
import { DeleteUserCommand } from '../auth/commands/delete-user/delete-user.command';
import { Roles } from '../auth/roles.decorator';
import { JobResponseDto } from '../jobs/dto/job.response.dto';
import { ReplayJobsCommand } from './commands/replay-jobs/replay-jobs.command';
import { CountedAsReplays } from './commands/replay-jobs/replay-quota.interceptor';
import { AdminJobsQueryDto } from './dto/admin-jobs-query.dto';
import { AdminStatsResponseDto, ReplayJobsResponseDto } from './dto/admin.response.dto';
import { ReplayJobsDto } from './dto/replay-jobs.dto';
import { GetAdminStatsQuery } from './queries/get-admin-stats/get-admin-stats.query';
import { ListAllJobsQuery } from './queries/list-all-jobs/list-all-jobs.query';

@ApiTags('admin')
@ApiBearerAuth('bearer')
@ApiSecurity('apiKey')
@Roles('admin')
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get('jobs')
  @ApiOperation({
    summary: "Every user's jobs, newest first (admins only)",
    description:
      'The filters of GET /api/jobs, plus `userId` and `q`: a case-insensitive substring of the error text.',
  })
  @ApiPaginated(JobResponseDto)
  @ApiErrors(400, 401, 403, 503)
  listJobs(@Query() query: AdminJobsQueryDto) {
    return this.queries.execute(new ListAllJobsQuery(query));
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Global stats (admins only)',
    description: "GET /api/jobs/stats over everyone's jobs, plus user counts.",
  })
  @ApiEnvelope(AdminStatsResponseDto)
  @ApiErrors(401, 403, 503)
  stats() {
    return this.queries.execute(new GetAdminStatsQuery());
  }

  @Post('jobs/replay')
  @CountedAsReplays()
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Replay done')
  @ApiOperation({
    summary: 'Replay dead-letter jobs (admins only)',
    description:
      'Re-queues the FAILED (or CANCELLED) jobs matching the filter, oldest first, at most `limit` per call, ' +
      "with attempts, result and error reset, as the owner's retry does. Each job's log names the admin. " +
      '`dryRun: true` only counts the matches. `matched` counts every match, so `matched > replayed` means ' +
      "there are more to replay. Counts the jobs replayed against the admin's " +
      '`RATE_LIMIT_REPLAYS_PER_MINUTE`; a replay bigger than what is left answers 429 with nothing replayed. ' +
      'A dry run costs nothing.',
  })
  @ApiEnvelope(ReplayJobsResponseDto)
  @ApiErrors(400, 401, 403, 503)
  replay(@CurrentUser() admin: AuthUser, @Body() dto: ReplayJobsDto, @CurrentCharge() charge: QuotaCharge) {
    const { dryRun, limit, ...filter } = dto;
    return this.commands.execute(new ReplayJobsCommand(admin, filter, dryRun, limit, charge));
  }

  @Delete('users/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a user and everything they own (admins only)',
    description:
      "The user's API keys, tokens, webhook secret, jobs (with their logs, deliveries and files) go with them. " +
      'Their access tokens answer 401 and their sockets are disconnected on every API instance at once. ' +
      'An admin cannot delete themself (400).',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 401, 403, 404, 503)
  async deleteUser(
    @CurrentUser() admin: AuthUser,
    @Param('id', new UuidParam('NOT_FOUND', 'User not found')) id: string,
  ): Promise<void> {
    await this.commands.execute(new DeleteUserCommand(admin.id, id));
  }
}
