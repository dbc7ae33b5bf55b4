import { CallHandler, ExecutionContext, StreamableFile } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { fake } from '@app/testing/fake';
import { lastValueFrom, of } from 'rxjs';
import { EnvelopeInterceptor } from './envelope.interceptor';
import { Paginated } from './paginated';
import { ResponseMessage } from './response-message.decorator';

@ResponseMessage('From the class')
class JobsController {
  @ResponseMessage('Job created')
  create() {}

  list() {}
}

class PlainController {
  get() {}
}

describe(EnvelopeInterceptor.name, () => {
  const sut = new EnvelopeInterceptor(new Reflector());
  const run = (result: unknown, handler: () => void = JobsController.prototype.create, type = 'http') => {
    const context = fake<ExecutionContext>({
      getType: () => type,
      getHandler: () => handler,
      getClass: () => (handler === PlainController.prototype.get ? PlainController : JobsController),
    });
    return lastValueFrom(sut.intercept(context, fake<CallHandler>({ handle: () => of(result) })));
  };

  it('wraps a plain result with the message of @ResponseMessage', async () => {
    await expect(run({ id: 'j1' })).resolves.toEqual({
      success: true,
      message: 'Job created',
      data: { id: 'j1' },
    });
  });

  it("falls back to the class's message, then to OK, and to null data", async () => {
    await expect(run([1], JobsController.prototype.list)).resolves.toMatchObject({
      message: 'From the class',
    });
    await expect(run(undefined, PlainController.prototype.get)).resolves.toEqual({
      success: true,
      message: 'OK',
      data: null,
    });
  });

  it('moves the meta of a Paginated result beside its items', async () => {
    await expect(run(new Paginated(['a', 'b'], 25, 2, 10))).resolves.toEqual({
      success: true,
      message: 'Job created',
      data: ['a', 'b'],
      meta: { total: 25, page: 2, limit: 10, totalPages: 3, hasNextPage: true, hasPrevPage: true },
    });
  });

  it('passes a StreamableFile through untouched', async () => {
    const file = new StreamableFile(Buffer.from('csv'));
    await expect(run(file)).resolves.toBe(file);
  });

  it('leaves non-HTTP results alone', async () => {
    await expect(run({ id: 'j1' }, JobsController.prototype.create, 'ws')).resolves.toEqual({ id: 'j1' });
  });
});
