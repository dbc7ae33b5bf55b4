import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsString, ValidateNested } from 'class-validator';
import { AppValidationPipe, fieldErrors, MAX_INPUT_DEPTH, unsafeInput, UuidParam } from './validation';

class Recipient {
  @IsEmail()
  to: string;
}

class SendDto {
  @IsString()
  name: string;

  @ValidateNested()
  @Type(() => Recipient)
  payload: Recipient;

  @ValidateNested({ each: true })
  @Type(() => Recipient)
  cc: Recipient[] = [];
}

const body: ArgumentMetadata = { type: 'body', metatype: SendDto };
const failure = (pipe: AppValidationPipe, value: unknown) =>
  pipe.transform(value, body).then(
    () => undefined,
    (error: unknown) => error,
  );

describe(fieldErrors.name, () => {
  it('flattens nested children into dotted paths', () => {
    expect(
      fieldErrors([
        { property: 'name', constraints: { isString: 'name must be a string' }, children: [] },
        {
          property: 'payload',
          children: [{ property: 'to', constraints: { isEmail: 'to must be an email' }, children: [] }],
        },
      ]),
    ).toEqual({ name: ['name must be a string'], 'payload.to': ['to must be an email'] });
  });
});

describe(AppValidationPipe.name, () => {
  const pipe = new AppValidationPipe();

  it('answers a valid body as an instance of the DTO', async () => {
    const value = await pipe.transform({ name: 'n', payload: { to: 'a@example.com' } }, body);
    expect(value).toBeInstanceOf(SendDto);
    expect(value).toMatchObject({ name: 'n', payload: { to: 'a@example.com' } });
  });

  it.each([['"text"'], ['null'], ['[]'], ['42']])('rejects the non-object body %s', async (json) => {
    await expect(failure(pipe, JSON.parse(json))).resolves.toMatchObject({
      name: 'AppError',
      code: 'VALIDATION_FAILED',
      errors: { body: ['request body must be a JSON object'] },
    });
  });

  it('names nested fields by their path', async () => {
    const error = await failure(pipe, { name: 'n', payload: { to: 'nope' }, cc: [{ to: 'also-nope' }] });
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Validation failed: payload.to, cc.0.to',
      errors: { 'payload.to': [expect.stringContaining('email')], 'cc.0.to': [expect.any(String)] },
    });
  });

  it('rejects a __proto__ field (which the transformer would make the prototype) by name', async () => {
    const error = await failure(
      pipe,
      JSON.parse('{"name":"n","payload":{"to":"a@example.com"},"__proto__":{}}'),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'Validation failed: __proto__' });
  });

  it('rejects unknown fields and names them', async () => {
    const error = await failure(pipe, { name: 'n', payload: { to: 'a@example.com', bcc: 'x' }, admin: true });
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: {
        admin: ['property admin should not exist'],
        'payload.bcc': ['property bcc should not exist'],
      },
    });
    expect((error as Error).message).toMatch(/admin/);
  });
});

describe(unsafeInput.name, () => {
  const nested = (depth: number) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
    return value;
  };

  it('accepts ordinary input, nesting up to the limit included', () => {
    expect(unsafeInput({ name: 'Ada 🦄', rows: [{ a: 1 }], deep: nested(MAX_INPUT_DEPTH) })).toEqual({});
  });

  it('names the top-level field that nests too deep, at any depth, without recursion', () => {
    expect(unsafeInput({ ok: 1, 'a.b': nested(MAX_INPUT_DEPTH + 1) })).toEqual({
      'a.b': [`a.b must not nest deeper than ${MAX_INPUT_DEPTH} levels`],
    });
    expect(Object.keys(unsafeInput({ payload: nested(200_000) }))).toEqual(['payload']);
  });

  it('names keys the transformer would drop or turn into the prototype, wherever they are', () => {
    const errors = unsafeInput(
      JSON.parse(
        '{"__proto__":{"x":1},"payload":{"constructor":{"a":{}},"rows":[{"toString":1,"prototype":2}]}}',
      ),
    );
    expect({ ...errors }).toEqual({
      ['__proto__']: ['property __proto__ should not exist'],
      'payload.constructor': ['property constructor should not exist'],
      'payload.rows.0.toString': ['property toString should not exist'],
      'payload.rows.0.prototype': ['property prototype should not exist'],
    });
  });

  it('names strings PostgreSQL cannot hold: U+0000 and lone surrogates', () => {
    expect(Object.keys(unsafeInput({ a: 'x\u0000y', b: ['\ud800'], c: 'x\udfff', ok: '🦄' }))).toEqual(
      expect.arrayContaining(['a', 'b.0', 'c']),
    );
    expect(Object.keys(unsafeInput({ a: 'x\u0000y', b: ['\ud800'], c: 'x\udfff', ok: '🦄' }))).toHaveLength(
      3,
    );
  });
});

describe(UuidParam.name, () => {
  it('passes a UUID through', () => {
    const id = '0b6c1a52-2f2e-4a8e-9d51-2f1f3c6f0b7e';
    expect(new UuidParam().transform(id)).toBe(id);
  });

  it('answers 404 with the configured code for anything else', () => {
    expect(() => new UuidParam('API_KEY_NOT_FOUND', 'API key not found').transform('42')).toThrow(
      expect.objectContaining({ code: 'API_KEY_NOT_FOUND', message: 'API key not found', status: 404 }),
    );
    expect(() => new UuidParam().transform('../etc')).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', status: 404 }),
    );
  });
});
