import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AppError, ErrorCode, FieldErrors } from '../errors/app-error';

/** Flattens class-validator's tree into `{ "payload.to": ["..."] }`. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldErrors {
  const out: FieldErrors = {};
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) out[path] = Object.values(error.constraints);
    Object.assign(out, fieldErrors(error.children ?? [], path));
  }
  return out;
}

export function validationError(errors: FieldErrors): AppError {
  const fields = Object.keys(errors);
  return new AppError('VALIDATION_FAILED', `Validation failed: ${fields.join(', ')}`, errors);
}

/** The global pipe: whitelist, forbid unknown fields, transform; a JSON body must be an object. */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => validationError(fieldErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata) {
    const isDto =
      metadata.metatype &&
      !['String', 'Number', 'Boolean', 'Array', 'Object'].includes(metadata.metatype.name);
    if (
      metadata.type === 'body' &&
      isDto &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw validationError({ body: ['request body must be a JSON object'] });
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** A path id that is not a UUID cannot name anything of the caller's: 404, like a foreign id. */
@Injectable()
export class UuidParam implements PipeTransform<string, string> {
  constructor(
    private readonly code: ErrorCode = 'NOT_FOUND',
    private readonly message = 'Not found',
  ) {}

  transform(value: string): string {
    if (!isUUID(value)) throw new AppError(this.code, this.message);
    return value;
  }
}
