import { Injectable, OnModuleInit, Type } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { FieldErrors } from '@app/common/errors/app-error';
import { fieldErrors } from '@app/common/http/validation';
import { JOB_HANDLER, JobHandlerInstance, JobHandlerMetadata } from './handlers/job-handler';

interface RegisteredHandler {
  instance: JobHandlerInstance;
  payload: Type<object>;
}

/** The @JobHandler providers found at start, by type, and the payload validation they declare. */
@Injectable()
export class JobHandlerRegistry implements OnModuleInit {
  private readonly handlers = new Map<string, RegisteredHandler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit() {
    for (const wrapper of this.discovery.getProviders()) {
      if (!wrapper.metatype || !wrapper.instance) continue;
      const meta = this.reflector.get<JobHandlerMetadata | undefined>(JOB_HANDLER, wrapper.metatype as Type);
      if (!meta) continue;
      if (this.handlers.has(meta.type)) throw new Error(`Two handlers for job type '${meta.type}'`);
      this.handlers.set(meta.type, {
        instance: wrapper.instance as JobHandlerInstance,
        payload: meta.payload,
      });
    }
  }

  types(): string[] {
    return [...this.handlers.keys()].sort();
  }

  get(type: string): RegisteredHandler | undefined {
    return this.handlers.get(type);
  }

  /** Field errors keyed under `path` (e.g. `payload.to`, `jobs.3.payload.to`), or undefined when valid. */
  async validate(type: unknown, payload: unknown, path: string): Promise<FieldErrors | undefined> {
    const typePath = path.replace(/payload$/, 'type');
    const handler = typeof type === 'string' ? this.handlers.get(type) : undefined;
    if (!handler) return { [typePath]: [`type must be one of: ${this.types().join(', ')}`] };
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return { [path]: ['payload must be an object'] };
    }
    const errors = await validate(plainToInstance(handler.payload, payload), {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
    });
    return errors.length > 0 ? fieldErrors(errors, path) : undefined;
  }

  /** The payload as its handler's class (nested objects transformed), for a run. */
  instantiate(type: string, payload: object): object {
    return plainToInstance(this.handlers.get(type)!.payload, payload);
  }
}
