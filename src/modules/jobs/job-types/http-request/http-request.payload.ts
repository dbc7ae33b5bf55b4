import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OutboundUrl } from '../job-type';
import { IsIn, IsObject, IsOptional, IsString, IsUrl, MaxLength, ValidateBy } from 'class-validator';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** At most 50 headers with valid names and string values free of line breaks. */
const IsHeaderRecord = () =>
  ValidateBy({
    name: 'isHeaderRecord',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        Object.keys(value).length <= 50 &&
        Object.entries(value).every(
          ([name, v]) =>
            HEADER_NAME.test(name) && typeof v === 'string' && v.length <= 8192 && !/[\r\n\0]/.test(v),
        ),
      defaultMessage: () =>
        'headers must map at most 50 valid header names to string values (no line breaks, at most 8192 characters)',
    },
  });

export class HttpRequestPayload {
  @ApiProperty({
    description:
      'The http(s) URL to call. Redirects are not followed (a 3xx is the result); private, loopback and ' +
      'link-local addresses are refused, after DNS resolution, unless the server allows them.',
    example: 'https://httpbin.org/anything',
    maxLength: 2048,
  })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false, disallow_auth: true })
  @MaxLength(2048)
  @OutboundUrl()
  url: string;

  @ApiPropertyOptional({ enum: HTTP_METHODS, default: 'GET', example: 'POST' })
  @IsOptional()
  @IsIn(HTTP_METHODS)
  method?: (typeof HTTP_METHODS)[number];

  @ApiPropertyOptional({
    description: 'Request headers, name to value.',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'content-type': 'application/json', authorization: 'Bearer abc123' },
  })
  @IsOptional()
  @IsObject()
  @IsHeaderRecord()
  headers?: Record<string, string>;

  @ApiPropertyOptional({
    description: 'Request body, sent as is (set content-type in headers).',
    example: '{"hello":"world"}',
    maxLength: 1_000_000,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1_000_000)
  body?: string;
}
