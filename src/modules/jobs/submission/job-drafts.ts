import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { isIP } from 'node:net';
import { FieldErrors } from '@app/common/errors/app-error';
import { validationError } from '@app/common/http/validation';
import { isPrivateAddress } from '@app/common/net/outbound-http';
import { Env } from '../../../config/env';
import type { SubmitJobDto } from '../dto/submit-job.dto';
import type { JobEntity } from '../entities/job.entity';
import { JobTypeRegistry } from '../job-type-registry';

export type JobDraft = Pick<
  JobEntity,
  | 'userId'
  | 'type'
  | 'priority'
  | 'payload'
  | 'maxRetries'
  | 'timeoutMs'
  | 'webhookUrl'
  | 'runAt'
  | 'idempotencyKey'
  | 'requestHash'
>;

/**
 * Turns validated submission DTOs into rows to insert, checking what the DTO cannot: the payload against
 * its type's handler, one schedule field at most, and a webhook URL that does not name a private host.
 */
@Injectable()
export class JobDrafts {
  constructor(
    private readonly registry: JobTypeRegistry,
    private readonly config: ConfigService<Env, true>,
  ) {}

  /** All drafts or one 400 naming every bad field (`prefix` is `jobs.3.` inside a batch). */
  async fromDtos(userId: string, dtos: { dto: SubmitJobDto; prefix: string }[]): Promise<JobDraft[]> {
    const errors: FieldErrors = {};
    for (const { dto, prefix } of dtos) Object.assign(errors, await this.check(dto, prefix));
    if (Object.keys(errors).length > 0) throw validationError(errors);
    return dtos.map(({ dto }) => ({
      userId,
      type: dto.type,
      priority: dto.priority ?? 'normal',
      payload: dto.payload,
      maxRetries: dto.maxRetries ?? this.config.get('MAX_RETRIES', { infer: true }),
      timeoutMs: dto.timeoutMs ?? this.config.get('JOB_TIMEOUT_MS', { infer: true }),
      webhookUrl: dto.webhookUrl ?? null,
      runAt: dto.runAt ? new Date(dto.runAt) : dto.delayMs ? new Date(Date.now() + dto.delayMs) : null,
      idempotencyKey: null,
      requestHash: null,
    }));
  }

  private async check(dto: SubmitJobDto, prefix: string): Promise<FieldErrors> {
    const errors: FieldErrors = {
      ...(await this.registry.validate(dto.type, dto.payload, `${prefix}payload`)),
    };
    if (dto.delayMs !== undefined && dto.runAt !== undefined) {
      errors[`${prefix}runAt`] = ['runAt and delayMs cannot be used together'];
    }
    if (dto.webhookUrl && !this.config.get('ALLOW_PRIVATE_NETWORK_TARGETS', { infer: true })) {
      const host = new URL(dto.webhookUrl).hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
      if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host))) {
        errors[`${prefix}webhookUrl`] = [
          'webhookUrl must not point to a private, loopback or link-local address',
        ];
      }
    }
    return errors;
  }
}
