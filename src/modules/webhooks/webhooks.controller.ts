import { Controller, Get, HttpCode, HttpStatus, Param, Post, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ResponseMessage } from '@app/common/http/response-message.decorator';
import { UuidParam } from '@app/common/http/validation';
import { ApiQuota } from '@app/common/rate-limit/api-quota.decorator';
import { ApiEnvelope, ApiErrors } from '@app/common/swagger/api-envelope.decorator';
import { AuthUser, CurrentUser } from '../auth/auth-user';
import { RedeliverWebhookCommand } from './commands/redeliver-webhook/redeliver-webhook.command';
import { RedeliveryQuota } from './commands/redeliver-webhook/redelivery-quota.interceptor';
import { RedeliveryResponseDto, WebhookDeliveryResponseDto } from './dto/webhook-delivery.response.dto';
import { ListDeliveriesQuery } from './queries/list-deliveries/list-deliveries.query';

const JobId = () => Param('id', new UuidParam('JOB_NOT_FOUND', 'Job not found'));

@ApiTags('webhooks')
@ApiBearerAuth('bearer')
@ApiSecurity('apiKey')
@Controller('api/jobs/:id/webhook-logs')
export class WebhooksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: "Every webhook delivery attempt of the caller's job, oldest first" })
  @ApiEnvelope(WebhookDeliveryResponseDto, { isArray: true })
  @ApiErrors(401, 404, 503)
  list(@CurrentUser() user: AuthUser, @JobId() id: string) {
    return this.queries.execute(new ListDeliveriesQuery(user.id, id));
  }

  @Post('redeliver')
  @UseInterceptors(RedeliveryQuota)
  @HttpCode(HttpStatus.ACCEPTED)
  @ResponseMessage('Redelivery queued')
  @ApiOperation({
    summary: "Send the job's final event again",
    description:
      'A new delivery, with a new `webhook-id`, signed with the current secret(s). One redelivery of a job ' +
      'at a time: while one is waiting, being sent or between its retries, another answers 409 ' +
      '`REDELIVERY_PENDING`. Counts one against the per-user redelivery limit, given back on an error answer.',
  })
  @ApiQuota('RATE_LIMIT_REDELIVERIES_PER_MINUTE', 'Redeliveries', [HttpStatus.ACCEPTED])
  @ApiEnvelope(RedeliveryResponseDto, { status: HttpStatus.ACCEPTED, description: 'Queued' })
  @ApiErrors(400, 401, 404, 409, 503)
  redeliver(@CurrentUser() user: AuthUser, @JobId() id: string) {
    return this.commands.execute(new RedeliverWebhookCommand(user.id, id));
  }
}
