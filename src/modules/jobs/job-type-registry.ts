import { Injectable, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { FieldErrors } from '@app/common/errors/app-error';
import { fieldErrors } from '@app/common/http/validation';
import { JOB_TYPE, JobRunner, JobTypeMetadata, outboundUrlFields } from './job-types/job-type';

interface RegisteredJobType {
  instance: JobRunner;
  payload: Type<object>;
}

/** The @JobType providers found at start, by type, and the payload validation they declare. */
@Injectable()
export class JobTypeRegistry implements OnModuleInit {
  private readonly registered = new Map<string, RegisteredJobType>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit() {
    for (const wrapper of this.discovery.getProviders()) {
      if (!wrapper.metatype || !wrapper.instance) continue;
      const meta = this.reflector.get<JobTypeMetadata | undefined>(JOB_TYPE, wrapper.metatype as Type);
      if (!meta) continue;
      if (this.registered.has(meta.type)) throw new Error(`Two implementations of job type '${meta.type}'`);
      this.registered.set(meta.type, {
        instance: wrapper.instance as JobRunner,
        payload: meta.payload,
      });
    }
  }

  types(): string[] {
    return [...this.registered.keys()].sort();
  }

  get(type: string): RegisteredJobType | undefined {
    return this.registered.get(type);
  }

  /** Field errors keyed under `path` (e.g. `payload.to`, `jobs.3.payload.to`), or undefined when valid. */
  async validate(type: unknown, payload: unknown, path: string): Promise<FieldErrors | undefined> {
    const typePath = path.replace(/payload$/, 'type');
    const registered = typeof type === 'string' ? this.registered.get(type) : undefined;
    if (!registered) return { [typePath]: [`type must be one of: ${this.types().join(', ')}`] };
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return { [path]: ['payload must be an object'] };
    }
    const errors = await validate(plainToInstance(registered.payload, payload), {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
    });
    return errors.length > 0 ? fieldErrors(errors, path) : undefined;
  }

  /** The payload fields of a type that name URLs the job will call (see @OutboundUrl). */
  outboundUrlFields(type: string): string[] {
    const registered = this.registered.get(type);
    return registered ? outboundUrlFields(registered.payload) : [];
  }

  /** The payload as its job type's class (nested objects transformed), for a run. */
  instantiate(type: string, payload: object): object {
    return plainToInstance(this.registered.get(type)!.payload, payload);
  }
}
