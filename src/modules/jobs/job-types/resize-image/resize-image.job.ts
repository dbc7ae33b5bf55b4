import { ConfigService } from '@nestjs/config';
import sharp from 'sharp';
import { outboundRequest } from '@app/common/net/outbound-http';
import type { Env } from '../../../../config/env';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { PermanentJobError } from '../permanent-job-error';
import {
  IMAGE_FORMATS,
  type ImageFormat,
  MAX_OUTPUT_PIXELS,
  ResizeImagePayload,
} from './resize-image.payload';

export interface ResizeImageResult {
  artifactUrl: string;
  width: number;
  height: number;
  format: ImageFormat;
  bytes: number;
}

const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
/** Refuses decompression bombs: a small file that decodes to a huge bitmap. */
const MAX_INPUT_PIXELS = 100_000_000;

/**
 * Resizes with sharp: width alone keeps the aspect ratio, width and height cover and crop to exactly that
 * size. EXIF orientation is applied first, so photos come out upright. It stays on the main thread: sharp
 * decodes and encodes on libuv's own threads, off the event loop, and its memory is bounded by the input
 * and output pixel limits below. What the image cannot change by retrying (not an image, too many pixels
 * in or out, more bytes out than ARTIFACT_MAX_BYTES) fails the job at once. sharp encodes the image in one
 * piece (its output stream, too, hands the whole buffer over at the end), so the encoded size is known only
 * then: saveArtifact refuses it before a byte reaches the disk, and the pixel limit bounds the encoding's
 * work (MAX_OUTPUT_PIXELS × 4 channels, about 64 MiB raw).
 */
@JobType('resize-image', ResizeImagePayload)
export class ResizeImageJob implements JobRunner<ResizeImagePayload, ResizeImageResult> {
  private readonly allowPrivate: boolean;

  constructor(config: ConfigService<Env, true>) {
    this.allowPrivate = config.get('ALLOW_PRIVATE_NETWORK_TARGETS', { infer: true });
  }

  async run(payload: ResizeImagePayload, context: JobContext): Promise<ResizeImageResult> {
    const input = payload.imageUrl
      ? await this.download(payload.imageUrl, context)
      : Buffer.from(payload.imageBase64 ?? '', 'base64');
    context.progress(30);

    const image = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS });
    // Reads the header only; refuses an image declaring more than MAX_INPUT_PIXELS before decoding it.
    const { format: inputFormat, ...size } = await image.metadata().catch((error: Error) => {
      throw new PermanentJobError(`The image could not be read: ${error.message}`);
    });
    const outputHeight = payload.height ?? derivedHeight(payload.width, size);
    if (payload.width * outputHeight > MAX_OUTPUT_PIXELS)
      throw new PermanentJobError(
        `The output would be ${payload.width}×${outputHeight} pixels, more than the ${MAX_OUTPUT_PIXELS} allowed`,
      );
    const format =
      payload.format ??
      (IMAGE_FORMATS.includes(inputFormat as ImageFormat) ? (inputFormat as ImageFormat) : 'png');
    context.signal.throwIfAborted();

    const { data, info } = await image
      .rotate()
      .resize(payload.width, payload.height, { fit: payload.height ? 'cover' : 'inside' })
      .toFormat(format)
      .toBuffer({ resolveWithObject: true })
      .catch((error: Error) => {
        throw new PermanentJobError(`The image could not be resized: ${error.message}`);
      });
    context.signal.throwIfAborted();
    context.progress(80);

    const saved = await context.saveArtifact({
      data,
      filename: `image.${format}`,
      contentType: `image/${format}`,
    });
    context.log(`Resized ${inputFormat} to ${info.width}×${info.height} ${format} (${saved.bytes} bytes)`);
    return { artifactUrl: saved.url, width: info.width, height: info.height, format, bytes: saved.bytes };
  }

  private async download(url: string, context: JobContext): Promise<Buffer> {
    const response = await outboundRequest(url, {
      signal: context.signal,
      allowPrivate: this.allowPrivate,
      maxBodyBytes: MAX_DOWNLOAD_BYTES,
    });
    if (response.status >= 300 && response.status < 400)
      throw new Error(`Downloading imageUrl failed: HTTP ${response.status} (redirects are not followed)`);
    if (response.status < 200 || response.status > 299)
      throw new Error(`Downloading imageUrl failed: HTTP ${response.status}`);
    if (response.truncated) throw new Error('The image at imageUrl is larger than 20 MiB');
    context.log(`Downloaded ${response.body.length} bytes from imageUrl`);
    return response.body;
  }
}

/** The height `width` gives with the image's aspect ratio, once EXIF orientation is applied (5–8 turn it). */
function derivedHeight(
  width: number,
  size: { width?: number; height?: number; orientation?: number },
): number {
  const turned = (size.orientation ?? 1) >= 5;
  const [w, h] = turned ? [size.height ?? 1, size.width ?? 1] : [size.width ?? 1, size.height ?? 1];
  return Math.max(1, Math.round((width * h) / w));
}
