import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { UserEntity } from '../../auth/entities/user.entity';
import type { JobPriority, JobStatus } from '../job-status';

@Entity('jobs')
@Index('IDX_jobs_user_created', ['userId', 'createdAt'])
@Index('IDX_jobs_user_status_created', ['userId', 'status', 'createdAt'])
@Index('IDX_jobs_user_type_created', ['userId', 'type', 'createdAt'])
@Index('IDX_jobs_status_updated', ['status', 'updatedAt'])
@Index('IDX_jobs_webhook_pending', ['finishedAt'], { where: '"webhook_pending"' })
@Index('UQ_jobs_user_idempotency_key', ['userId', 'idempotencyKey'], {
  unique: true,
  where: '"idempotency_key" IS NOT NULL',
})
@Index('IDX_jobs_started_at', ['startedAt'])
// An expression index (see its migration), which TypeORM cannot describe: declared so that it is kept.
@Index('IDX_jobs_pending_queue_order', { synchronize: false })
export class JobEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 16, default: 'PENDING' })
  status: JobStatus;

  @Column({ type: 'varchar', length: 8, default: 'normal' })
  priority: JobPriority;

  // json, not jsonb: jsonb re-sorts object keys, and key order is meaningful (default CSV/report columns).
  @Column({ type: 'json' })
  payload: Record<string, unknown>;

  @Column({ type: 'json', nullable: true })
  result: unknown;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'smallint', default: 0 })
  progress: number;

  /** Attempts started (a stalled attempt that runs again counts again). */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** Attempts started over the job's whole life: never reset by a retry or a replay. */
  @Column({ name: 'attempts_total', type: 'int', default: 0 })
  attemptsTotal: number;

  @Column({ name: 'max_retries', type: 'int' })
  maxRetries: number;

  @Column({ name: 'timeout_ms', type: 'int' })
  timeoutMs: number;

  @Column({ name: 'webhook_url', type: 'varchar', length: 2048, nullable: true })
  webhookUrl: string | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  /** SHA-256 of the submitted request, to tell a replay from a different body under the same key. */
  @Column({ name: 'request_hash', type: 'char', length: 64, nullable: true })
  requestHash: string | null;

  @Column({ name: 'run_at', type: 'timestamptz', nullable: true })
  runAt: Date | null;

  @Column({ name: 'next_retry_at', type: 'timestamptz', nullable: true })
  nextRetryAt: Date | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** Relative to ARTIFACTS_DIR. */
  @Column({ name: 'artifact_path', type: 'varchar', length: 512, nullable: true })
  artifactPath: string | null;

  @Column({ name: 'artifact_content_type', type: 'varchar', length: 128, nullable: true })
  artifactContentType: string | null;

  /**
   * Size of the kept artifact, set by the same UPDATE that makes the job DONE with it (JobStore.succeed): what
   * counts against its owner's USER_STORAGE_QUOTA_MB until retention deletes the row. A string: pg reads
   * bigint so.
   */
  @Column({ name: 'artifact_bytes', type: 'bigint', nullable: true })
  artifactBytes: string | null;

  /**
   * Outbox flag: set by the same UPDATE that finishes a job with a webhookUrl, cleared once its delivery is
   * queued. A process that dies in between leaves it set, and the reconciler queues the delivery.
   */
  @Column({ name: 'webhook_pending', type: 'boolean', default: false })
  webhookPending: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
