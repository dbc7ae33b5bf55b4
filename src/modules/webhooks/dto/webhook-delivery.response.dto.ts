import { ApiProperty } from '@nestjs/swagger';

class WebhookPayloadDto {
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ example: 'send-email' }) type: string;
  @ApiProperty({ enum: ['DONE', 'FAILED', 'CANCELLED'] }) status: string;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) result: unknown;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty() attempts: number;
  @ApiProperty({ format: 'date-time', description: 'When the job reached this status.' }) timestamp: string;
}

export class WebhookDeliveryResponseDto {
  @ApiProperty({ format: 'uuid', description: 'This attempt.' }) id: string;
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({
    format: 'uuid',
    description: 'The delivery (the `webhook-id` header), shared by its retries.',
  })
  deliveryId: string;
  @ApiProperty({ example: 'https://example.com/hooks/conveyor' }) url: string;
  @ApiProperty({ enum: ['job.done', 'job.failed', 'job.cancelled'] }) event: string;
  @ApiProperty({ type: WebhookPayloadDto, description: 'The body that was sent.' })
  payload: WebhookPayloadDto;
  @ApiProperty({ type: Number, nullable: true, example: 200 }) statusCode: number | null;
  @ApiProperty() success: boolean;
  @ApiProperty({ example: 1 }) attempt: number;
  @ApiProperty({ type: String, nullable: true, example: null }) error: string | null;
  @ApiProperty({ example: 42 }) durationMs: number;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}

export class RedeliveryResponseDto {
  @ApiProperty({ format: 'uuid', description: 'The new delivery (its `webhook-id`).' }) deliveryId: string;
}
