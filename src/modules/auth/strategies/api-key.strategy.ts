import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import { AuthenticateApiKeyQuery } from '../queries/authenticate-api-key/authenticate-api-key.query';

/** The API key from `X-API-Key: ck_...` or `Authorization: Bearer ck_...`. */
export function apiKeyFrom(headers: Request['headers']): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const bearer = /^Bearer\s+(ck_\S+)$/i.exec(headers.authorization ?? '');
  return bearer?.[1];
}

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly queries: QueryBus) {
    super();
  }

  async validate(request: Request) {
    const key = apiKeyFrom(request.headers);
    return (key && (await this.queries.execute(new AuthenticateApiKeyQuery(key)))) || false;
  }
}
