import { Body, Controller, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { UuidParam } from '@app/common/http/validation';
import { ResponseMessage } from '@app/common/http/response-message.decorator';
import { ApiEnvelope, ApiErrors } from '@app/common/swagger/api-envelope.decorator';
import { Roles } from '../auth/roles.decorator';
import { QueuePausedResponseDto } from './commands/set-queue-paused/queue-paused.response.dto';
import { SetQueuePausedCommand } from './commands/set-queue-paused/set-queue-paused.command';
import { UpdateUserLimitsCommand } from './commands/update-user-limits/update-user-limits.command';
import {
  UpdateUserLimitsDto,
  UserLimitsResponseDto,
} from './commands/update-user-limits/update-user-limits.dto';

/** Admin routes of fair sharing: a user's weight and cap, and pausing the jobs queue. */
@ApiTags('admin')
@ApiBearerAuth('bearer')
@ApiSecurity('apiKey')
@Roles('admin')
@Controller('api/admin')
export class AdminFairSharingController {
  constructor(private readonly commands: CommandBus) {}

  @Patch('users/:id')
  @ResponseMessage('User limits updated')
  @ApiOperation({
    summary: "Set a user's fair-share weight and concurrency cap (admins only)",
    description:
      'Fields left out stay as they are. Every process applies the change within 5 s (a short cache): the ' +
      'weight to jobs submitted after it, the cap to jobs starting after it.',
  })
  @ApiEnvelope(UserLimitsResponseDto)
  @ApiErrors(400, 401, 403, 404, 503)
  updateUserLimits(
    @Param('id', new UuidParam('NOT_FOUND', 'User not found')) id: string,
    @Body() dto: UpdateUserLimitsDto,
  ) {
    return this.commands.execute(new UpdateUserLimitsCommand(id, dto));
  }

  @Post('queue/pause')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Queue paused')
  @ApiOperation({
    summary: 'Pause the jobs queue (admins only)',
    description: 'No job starts until resumed; running ones finish, submissions still queue.',
  })
  @ApiEnvelope(QueuePausedResponseDto)
  @ApiErrors(401, 403, 503)
  pause() {
    return this.commands.execute(new SetQueuePausedCommand(true));
  }

  @Post('queue/resume')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Queue resumed')
  @ApiOperation({ summary: 'Resume the jobs queue (admins only)' })
  @ApiEnvelope(QueuePausedResponseDto)
  @ApiErrors(401, 403, 503)
  resume() {
    return this.commands.execute(new SetQueuePausedCommand(false));
  }
}
