import { ConfigService } from '@nestjs/config';
import sharp from 'sharp';
import { outboundRequest } from '@app/common/net/outbound-http';
import type { Env } from '../../../../config/env';
import { JobType, type JobContext, type JobRunner } from '../job-type';
import { IMAGE_FORMATS, type ImageFormat, ResizeImagePayload } from './resize-image.payload';

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
 * size. EXIF orientation is applied first, so photos come out upright.
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
    const { format: inputFormat } = await image.metadata();
    const format =
      payload.format ??
      (IMAGE_FORMATS.includes(inputFormat as ImageFormat) ? (inputFormat as ImageFormat) : 'png');
    context.signal.throwIfAborted();

    const { data, info } = await image
      .rotate()
      .resize(payload.width, payload.height, { fit: payload.height ? 'cover' : 'inside' })
      .toFormat(format)
      .toBuffer({ resolveWithObject: true });
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
