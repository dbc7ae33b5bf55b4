import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { PrivateTargetError } from '@app/common/net/outbound-http';
import { testConfig, testingContext, type TestingContext } from '@app/testing/job-context';
import { pixelBombPng } from '@app/testing/pixel-bomb';
import { ArtifactTooLargeError } from '../../artifacts/artifact-limits';
import { PermanentJobError } from '../permanent-job-error';
import { ResizeImageJob } from './resize-image.job';

describe(ResizeImageJob.name, () => {
  let source: Buffer;
  let server: Server;
  let base: string;
  let t: TestingContext;
  const allowing = new ResizeImageJob(testConfig({ ALLOW_PRIVATE_NETWORK_TARGETS: 'true' }));
  const refusing = new ResizeImageJob(testConfig({ ALLOW_PRIVATE_NETWORK_TARGETS: 'false' }));

  beforeAll(async () => {
    // 400×200, left half red, right half blue: an aspect ratio of 2 and colours that show a crop.
    source = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#ff0000' } })
      .composite([
        {
          input: { create: { width: 200, height: 200, channels: 3, background: '#0000ff' } },
          left: 200,
          top: 0,
        },
      ])
      .png()
      .toBuffer();
    server = createServer((req, res) => {
      if (req.url === '/image.png') res.writeHead(200, { 'content-type': 'image/png' }).end(source);
      else if (req.url === '/moved') res.writeHead(301, { location: '/image.png' }).end();
      else res.writeHead(404).end('not found');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  beforeEach(() => (t = testingContext()));
  afterEach(() => t.cleanup());

  const output = async () => {
    const file = readFileSync(join(t.store.root, t.artifacts[0].path));
    return { file, meta: await sharp(file).metadata() };
  };

  it('refuses an output over ARTIFACT_MAX_BYTES for good, keeping nothing', async () => {
    const limited = testingContext({ maxArtifactBytes: 4096 });
    const noise = await sharp(randomBytes(64 * 64 * 3), { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const error: unknown = await allowing
      .run({ imageBase64: noise.toString('base64'), width: 128 }, limited.context)
      .catch((e: unknown) => e);
    const files = readdirSync(limited.store.root);
    limited.cleanup();
    expect(error).toBeInstanceOf(ArtifactTooLargeError);
    expect((error as Error).message).toMatch(
      /^The artifact is [\d.]+ MB \(\d+ bytes\), over the 0 MB \(4096 bytes\) limit \(ARTIFACT_MAX_BYTES\)/,
    );
    expect(limited.artifacts).toEqual([]);
    expect(files).toEqual([]);
  });

  it('keeps the aspect ratio when only width is given, and the input format by default', async () => {
    const result = await allowing.run({ imageBase64: source.toString('base64'), width: 100 }, t.context);
    expect(result).toMatchObject({ width: 100, height: 50, format: 'png' });
    expect(result.artifactUrl).toBe(`/api/jobs/${t.context.jobId}/artifact`);
    const { file, meta } = await output();
    expect(meta).toMatchObject({ width: 100, height: 50, format: 'png' });
    expect(result.bytes).toBe(file.length);
    expect(t.artifacts[0]).toMatchObject({ path: `${t.context.jobId}/image.png`, contentType: 'image/png' });
  });

  it('covers and crops to exactly width × height when both are given', async () => {
    const result = await allowing.run(
      { imageBase64: source.toString('base64'), width: 50, height: 50, format: 'jpeg' },
      t.context,
    );
    expect(result).toMatchObject({ width: 50, height: 50, format: 'jpeg' });
    const { file, meta } = await output();
    expect(meta).toMatchObject({ width: 50, height: 50, format: 'jpeg' });
    // The centre crop of a red|blue image keeps both colours: red on the left, blue on the right.
    const { data } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number) => [...data.subarray((25 * 50 + x) * 3, (25 * 50 + x) * 3 + 3)];
    expect(pixel(2)[0]).toBeGreaterThan(200);
    expect(pixel(47)[2]).toBeGreaterThan(200);
  });

  it('downloads imageUrl when private targets are allowed, and converts to webp', async () => {
    const result = await allowing.run(
      { imageUrl: `${base}/image.png`, width: 40, format: 'webp' },
      t.context,
    );
    expect(result).toMatchObject({ width: 40, height: 20, format: 'webp' });
    expect((await output()).meta).toMatchObject({ width: 40, height: 20, format: 'webp' });
    expect(t.artifacts[0].contentType).toBe('image/webp');
  });

  it('refuses a private imageUrl when private targets are not allowed', async () => {
    await expect(
      refusing.run({ imageUrl: `${base}/image.png`, width: 40 }, t.context),
    ).rejects.toBeInstanceOf(PrivateTargetError);
    expect(t.artifacts).toEqual([]);
  });

  it('fails on a non-2xx download, and does not follow redirects', async () => {
    await expect(allowing.run({ imageUrl: `${base}/missing.png`, width: 40 }, t.context)).rejects.toThrow(
      'HTTP 404',
    );
    await expect(allowing.run({ imageUrl: `${base}/moved`, width: 40 }, t.context)).rejects.toThrow(
      'HTTP 301 (redirects are not followed)',
    );
  });

  it('fails on bytes that are not an image', async () => {
    await expect(
      allowing.run({ imageBase64: Buffer.from('not an image').toString('base64'), width: 10 }, t.context),
    ).rejects.toThrow(/unsupported image format/i);
  });

  it('fails for good, before decoding, on a pixel bomb', async () => {
    const bomb = pixelBombPng(30_000, 30_000);
    const run = allowing.run({ imageBase64: bomb.toString('base64'), width: 100 }, t.context);
    await expect(run).rejects.toThrow(PermanentJobError);
    await expect(run).rejects.toThrow('The image could not be read: Input image exceeds pixel limit');
    expect(t.artifacts).toEqual([]);
  });

  it('fails for good when the height that follows from the aspect ratio makes too many pixels', async () => {
    // 10×1000: a width of 8000 would give a height of 800,000.
    const tall = await sharp({ create: { width: 10, height: 1000, channels: 3, background: '#00ff00' } })
      .png()
      .toBuffer();
    const run = allowing.run({ imageBase64: tall.toString('base64'), width: 8000 }, t.context);
    await expect(run).rejects.toThrow(PermanentJobError);
    await expect(run).rejects.toThrow(
      'The output would be 8000×800000 pixels, more than the 16777216 allowed',
    );
  });
});
