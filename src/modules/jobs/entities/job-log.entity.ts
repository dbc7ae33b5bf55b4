import {
  Column,
  CreateDateColumn,
  Entity,
  Generated,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import type { LogLevel } from '../job-status';
import { JobEntity } from './job.entity';

@Entity('job_logs')
@Index('IDX_job_logs_job_seq', ['jobId', 'seq'])
export class JobLogEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Insertion order: lines written in the same millisecond still read back in order. */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq: string;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId: string;

  @ManyToOne(() => JobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id' })
  job?: JobEntity;

  @Column({ type: 'varchar', length: 8, default: 'info' })
  level: LogLevel;

  @Column({ type: 'text' })
  message: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
