import { ApiProperty } from '@nestjs/swagger';

export class QueuePausedResponseDto {
  @ApiProperty({ description: 'Whether the jobs queue is paused now.', example: true })
  paused: boolean;
}
