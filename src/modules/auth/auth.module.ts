import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Env } from '../../config/env';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { CreateApiKeyHandler } from './commands/create-api-key/create-api-key.handler';
import { DeleteUserHandler } from './commands/delete-user/delete-user.handler';
import { EnsureAdminCommand } from './commands/ensure-admin/ensure-admin.command';
import { EnsureAdminHandler } from './commands/ensure-admin/ensure-admin.handler';
import { LoginHandler } from './commands/login/login.handler';
import { LogoutHandler } from './commands/logout/logout.handler';
import { RefreshTokensHandler } from './commands/refresh-tokens/refresh-tokens.handler';
import { RegisterUserHandler } from './commands/register-user/register-user.handler';
import { RevokeApiKeyHandler } from './commands/revoke-api-key/revoke-api-key.handler';
import { RotateWebhookSecretHandler } from './commands/rotate-webhook-secret/rotate-webhook-secret.handler';
import { ApiKeyEntity } from './entities/api-key.entity';
import { RefreshTokenEntity } from './entities/refresh-token.entity';
import { UserEntity } from './entities/user.entity';
import { WebhookSecretEntity } from './entities/webhook-secret.entity';
import { AuthenticateApiKeyHandler } from './queries/authenticate-api-key/authenticate-api-key.handler';
import { GetCurrentUserHandler } from './queries/get-current-user/get-current-user.handler';
import { GetWebhookSecretHandler } from './queries/get-webhook-secret/get-webhook-secret.handler';
import { GetSigningSecretsHandler } from './queries/get-signing-secrets/get-signing-secrets.handler';
import { AuthenticateTokenHandler } from './queries/authenticate-token/authenticate-token.handler';
import { ListApiKeysHandler } from './queries/list-api-keys/list-api-keys.handler';
import { ApiKeyStrategy } from './strategies/api-key.strategy';
import { JwtStrategy } from './strategies/jwt.strategy';
import { CredentialRevocations } from './credential-revocations';
import { LiveUsers } from './live-users';
import { TokenIssuer } from './token-issuer';

@Module({
  imports: [
    PassportModule,
    JwtModule.register({}),
    TypeOrmModule.forFeature([UserEntity, RefreshTokenEntity, ApiKeyEntity, WebhookSecretEntity]),
  ],
  controllers: [AuthController],
  // The realtime gateway ends sockets on revocations.
  exports: [CredentialRevocations],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    JwtStrategy,
    ApiKeyStrategy,
    TokenIssuer,
    LiveUsers,
    CredentialRevocations,
    RegisterUserHandler,
    LoginHandler,
    RefreshTokensHandler,
    LogoutHandler,
    CreateApiKeyHandler,
    RevokeApiKeyHandler,
    DeleteUserHandler,
    RotateWebhookSecretHandler,
    EnsureAdminHandler,
    GetCurrentUserHandler,
    ListApiKeysHandler,
    GetWebhookSecretHandler,
    AuthenticateApiKeyHandler,
    AuthenticateTokenHandler,
    GetSigningSecretsHandler,
  ],
})
export class AuthModule implements OnApplicationBootstrap {
  constructor(
    private readonly commands: CommandBus,
    private readonly config: ConfigService<Env, true>,
  ) {}

  async onApplicationBootstrap() {
    const email = this.config.get('ADMIN_EMAIL', { infer: true });
    const password = this.config.get('ADMIN_PASSWORD', { infer: true });
    if (email && password) await this.commands.execute(new EnsureAdminCommand(email, password));
  }
}
