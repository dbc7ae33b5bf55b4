import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { WebhookEvent, WebhookPayload } from '@app/contracts/webhook-payload';

/** One attempt of one delivery: `deliveryId` (the `webhook-id` header) is shared by its retries. */
@Entity('webhook_deliveries')
@Index('IDX_webhook_deliveries_job_created', ['jobId', 'createdAt'])
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'delivery_id', type: 'uuid' })
  deliveryId: string;

  /**
   * The job. Its foreign key names the Jobs module's entity only by name (no relation, no import): the
   * deliveries of a deleted job (retention) go in the same statement, whatever crashes.
   */
  @Column({ name: 'job_id', type: 'uuid' })
  @ForeignKey('JobEntity', { onDelete: 'CASCADE' })
  jobId: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'varchar', length: 32 })
  event: WebhookEvent;

  @Column({ type: 'json' })
  payload: WebhookPayload;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode: number | null;

  @Column({ type: 'boolean' })
  success: boolean;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
