import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { OutboundUrl } from '../job-type';
import {
  IsBase64,
  IsIn,
  IsNotEmpty,
  IsInt,
  IsOptional,
  IsUrl,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';

export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** Output width × height, checked at submission when both are given and at run time when height follows. */
export const MAX_OUTPUT_PIXELS = 16_777_216;
/** Base64 of 10 MiB. */
export const MAX_IMAGE_BASE64_LENGTH = Math.ceil((10 * 1024 * 1024) / 3) * 4;

const NotWith = (other: string) =>
  ValidateBy({
    name: 'notWith',
    constraints: [other],
    validator: {
      validate: (_value, args) => (args?.object as Record<string, unknown>)[other] === undefined,
      defaultMessage: (args) => `give either ${args?.property} or ${other}, not both`,
    },
  });

/** width × height within MAX_OUTPUT_PIXELS; only once both passed their own range checks. */
const WithinOutputPixels = () =>
  ValidateBy({
    name: 'withinOutputPixels',
    validator: {
      validate: (height: unknown, args) => {
        const width = (args?.object as ResizeImagePayload).width;
        if (!Number.isInteger(width) || !Number.isInteger(height)) return true;
        return width * (height as number) <= MAX_OUTPUT_PIXELS;
      },
      defaultMessage: () => `width × height must be at most ${MAX_OUTPUT_PIXELS} pixels`,
    },
  });

export class ResizeImagePayload {
  @ApiPropertyOptional({
    description:
      'The image (PNG, JPEG, WebP, GIF, AVIF, TIFF or SVG) as plain base64, without a `data:` prefix. Exactly one ' +
      'of imageBase64 and imageUrl. Up to 10 MiB decoded, but a request body is at most 1 MiB, so through the ' +
      'REST API this carries images up to about 750 KB: use imageUrl for larger ones.',
    example:
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    format: 'byte',
  })
  @ValidateIf((payload: ResizeImagePayload) => payload.imageUrl === undefined)
  @IsNotEmpty({ message: 'imageBase64 must not be empty (give imageBase64 or imageUrl)' })
  @IsBase64(undefined, { message: 'imageBase64 must be base64 (give imageBase64 or imageUrl)' })
  @MaxLength(MAX_IMAGE_BASE64_LENGTH, { message: 'imageBase64 must be at most 10 MiB once decoded' })
  imageBase64?: string;

  @ApiPropertyOptional({
    description:
      'An http(s) URL to download the image from (at most 20 MiB; redirects are not followed; private and ' +
      'loopback addresses are refused unless the server allows them). Exactly one of imageBase64 and imageUrl.',
    example: 'https://upload.wikimedia.org/wikipedia/commons/4/47/PNG_transparency_demonstration_1.png',
    maxLength: 2048,
  })
  @ValidateIf(
    (payload: ResizeImagePayload) => payload.imageUrl !== undefined || payload.imageBase64 === undefined,
  )
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, disallow_auth: true },
    { message: 'imageUrl must be an http or https URL (give imageBase64 or imageUrl)' },
  )
  @MaxLength(2048)
  @NotWith('imageBase64')
  @OutboundUrl()
  imageUrl?: string;

  @ApiProperty({
    description:
      'Output width in pixels. With width alone the image keeps its aspect ratio; with width and height it is ' +
      'scaled to cover both and cropped around the centre to exactly width × height. Small images are enlarged.',
    type: 'integer',
    example: 800,
    minimum: 1,
    maximum: 8000,
  })
  @IsInt()
  @Min(1)
  @Max(8000)
  width: number;

  @ApiPropertyOptional({
    description:
      `Output height in pixels; see width. width × height is at most ${MAX_OUTPUT_PIXELS} pixels, also when ` +
      'height follows from the aspect ratio (then the attempt fails), and the encoded output at most the ' +
      "server's ARTIFACT_MAX_BYTES (default 32 MiB).",
    type: 'integer',
    example: 600,
    minimum: 1,
    maximum: 8000,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(8000)
  @WithinOutputPixels()
  height?: number;

  @ApiPropertyOptional({
    description: 'Output format. Default: the input format when it is png, jpeg or webp, otherwise png.',
    enum: IMAGE_FORMATS,
    example: 'webp',
  })
  @IsOptional()
  @IsIn(IMAGE_FORMATS)
  format?: ImageFormat;
}
