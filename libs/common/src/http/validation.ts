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

/** How deep a body or query may nest objects and arrays: deeper input would overflow the transformer's stack. */
export const MAX_INPUT_DEPTH = 64;

/**
 * Keys that would vanish instead of being refused as unknown: Nest's ValidationPipe deletes `__proto__`,
 * `prototype` and `constructor` at every level, class-transformer skips the other members of Object.prototype
 * (`toString`, `valueOf`...).
 */
const VANISHING_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
/** Half of a UTF-16 surrogate pair: not Unicode text (validator.js throws on it; UTF-8 cannot carry it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What no DTO can take as sent, by field path: nesting deeper than `maxDepth` (named by its top-level field),
 * keys that would silently vanish (`__proto__`, `constructor`, `prototype`, `toString`...), strings with U+0000 or lone surrogates. Iterative: any depth is safe.
 */
export function unsafeInput(value: object, maxDepth = MAX_INPUT_DEPTH): FieldErrors {
  // Null prototype: a field named `__proto__` must become a key, not the prototype.
  const errors: FieldErrors = Object.create(null) as FieldErrors;
  const stack: { node: unknown; path: string; field: string; depth: number }[] = [
    { node: value, path: '', field: '', depth: 0 },
  ];
  for (let item = stack.pop(); item && Object.keys(errors).length < 20; item = stack.pop()) {
    const { node, path, field, depth } = item;
    if (typeof node === 'string') {
      // PostgreSQL text cannot hold U+0000: "invalid byte sequence", a 500, for a value no one can store.
      if (node.includes('\u0000') || LONE_SURROGATE.test(node))
        errors[path] = [`${path} must be valid Unicode text without U+0000 or lone surrogates`];
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) {
      errors[field] = [`${field} must not nest deeper than ${maxDepth} levels`];
      continue;
    }
    for (const key of Object.keys(node)) {
      const child = depth === 0 ? key : `${path}.${key}`;
      if (VANISHING_KEYS.has(key)) errors[child] = [`property ${key} should not exist`];
      else
        stack.push({
          node: (node as Record<string, unknown>)[key],
          path: child,
          field: depth === 0 ? key : field,
          depth: depth + 1,
        });
    }
  }
  return errors;
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
    const input = (metadata.type === 'body' || metadata.type === 'query') && isDto;
    const unsafe = input && typeof value === 'object' && value !== null ? unsafeInput(value) : {};
    if (Object.keys(unsafe).length > 0) throw validationError(unsafe);
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
