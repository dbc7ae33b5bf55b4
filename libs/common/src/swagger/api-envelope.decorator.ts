import { applyDecorators, HttpStatus, Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorResponseDto, PaginationMetaDto, RateLimitedResponseDto } from './envelope.dto';

interface EnvelopeOptions {
  status?: number;
  description?: string;
  isArray?: boolean;
  /** `data` may be null instead of the model. */
  nullable?: boolean;
}

const envelope = (message: string, data: object, extra: Record<string, object> = {}) => ({
  type: 'object',
  required: ['success', 'message', 'data', ...Object.keys(extra)],
  properties: {
    success: { type: 'boolean', enum: [true] },
    message: { type: 'string', example: message },
    data,
    ...extra,
  },
});

/** Documents a success response as the envelope around `model` (or `null` data when model is null). */
export function ApiEnvelope(model: Type | null, options: EnvelopeOptions = {}) {
  const ref = model ? { $ref: getSchemaPath(model) } : { type: 'object', nullable: true };
  const one = model && options.nullable ? { allOf: [ref], nullable: true } : ref;
  const data = options.isArray ? { type: 'array', items: one } : one;
  return applyDecorators(
    ...(model ? [ApiExtraModels(model)] : []),
    ApiResponse({
      status: options.status ?? HttpStatus.OK,
      description: options.description ?? 'Success',
      schema: envelope('OK', data),
    }),
  );
}

/** Documents a paginated list: the envelope with an array of `model` and `meta`. */
export function ApiPaginated(model: Type, description = 'A page of results') {
  return applyDecorators(
    ApiExtraModels(model, PaginationMetaDto),
    ApiResponse({
      status: HttpStatus.OK,
      description,
      schema: envelope(
        'OK',
        { type: 'array', items: { $ref: getSchemaPath(model) } },
        {
          meta: { $ref: getSchemaPath(PaginationMetaDto) },
        },
      ),
    }),
  );
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed or invalid operation (`errors` names each field)',
  401: 'Missing, expired or invalid credentials',
  403: 'Authenticated, but not allowed',
  404: 'Not found (or not yours)',
  409: 'Conflict',
  413: 'Request body larger than 1 MiB',
  422: 'Unprocessable',
  429: 'Rate limited (`Retry-After` header)',
  503: 'A backing service (PostgreSQL or Redis) is unavailable',
};

/** Documents the error envelope for each status listed. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ErrorResponseDto, RateLimitedResponseDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: ERROR_DESCRIPTIONS[status] ?? 'Error',
        type: status === HttpStatus.TOO_MANY_REQUESTS ? RateLimitedResponseDto : ErrorResponseDto,
      }),
    ),
  );
}
