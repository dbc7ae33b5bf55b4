import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import { credentialsFrom } from '../credentials';
import { AuthenticateApiKeyQuery } from '../queries/authenticate-api-key/authenticate-api-key.query';

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly queries: QueryBus) {
    super();
  }

  async validate(request: Request) {
    // `X-API-Key: ck_…` or `Authorization: Bearer ck_…`; a bearer access token is the JWT strategy's.
    const credentials = credentialsFrom({
      apiKey: request.headers['x-api-key'],
      authorization: request.headers.authorization,
    });
    const key =
      credentials && 'token' in credentials && credentials.token.startsWith('ck_')
        ? credentials.token
        : undefined;
    return (key && (await this.queries.execute(new AuthenticateApiKeyQuery(key)))) || false;
  }
}
