import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Throttle, ThrottlerGuard } from '@nestjs/throttler';
import { ResponseMessage } from '@app/common/http/response-message.decorator';
import { UuidParam } from '@app/common/http/validation';
import { ApiEnvelope, ApiErrors } from '@app/common/swagger/api-envelope.decorator';
import { AuthUser, CurrentUser, Public } from './auth-user';
import { CreateApiKeyCommand } from './commands/create-api-key/create-api-key.command';
import { LoginCommand } from './commands/login/login.command';
import { LogoutCommand } from './commands/logout/logout.command';
import { RefreshTokensCommand } from './commands/refresh-tokens/refresh-tokens.command';
import { RegisterUserCommand } from './commands/register-user/register-user.command';
import { RevokeApiKeyCommand } from './commands/revoke-api-key/revoke-api-key.command';
import { RotateWebhookSecretCommand } from './commands/rotate-webhook-secret/rotate-webhook-secret.command';
import { ApiKeyCreatedResponseDto, ApiKeyResponseDto, CreateApiKeyDto } from './dto/api-key.dto';
import {
  RegisteredUserResponseDto,
  TokenPairResponseDto,
  UserResponseDto,
  WebhookSecretResponseDto,
} from './dto/auth.response.dto';
import { LoginDto, RefreshTokenDto, RegisterUserDto } from './dto/credentials.dto';
import { passwordGuessKey } from './password-guesses';
import { GetCurrentUserQuery } from './queries/get-current-user/get-current-user.query';
import { GetWebhookSecretQuery } from './queries/get-webhook-secret/get-webhook-secret.query';
import { ListApiKeysQuery } from './queries/list-api-keys/list-api-keys.query';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('register')
  @Public()
  @UseGuards(ThrottlerGuard)
  @ResponseMessage('User registered successfully')
  @ApiOperation({
    summary: 'Create an account',
    description:
      'Returns a first API key and the webhook secret; the key is shown only once. Rate-limited per IP.',
  })
  @ApiEnvelope(RegisteredUserResponseDto, { status: HttpStatus.CREATED, description: 'Registered' })
  @ApiErrors(400, 413, 429, 503)
  register(@Body() dto: RegisterUserDto) {
    return this.commands.execute(new RegisterUserCommand(dto.email, dto.password));
  }

  @Post('login')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseGuards(ThrottlerGuard)
  // One counter per IP for every password guess, shared with the queue board's Basic sign-in.
  @Throttle({ default: { generateKey: (_context, ip) => passwordGuessKey(ip) } })
  @ResponseMessage('Login successful')
  @ApiOperation({ summary: 'Exchange email and password for tokens', description: 'Rate-limited per IP.' })
  @ApiEnvelope(TokenPairResponseDto)
  @ApiErrors(400, 401, 429, 503)
  login(@Body() dto: LoginDto) {
    return this.commands.execute(new LoginCommand(dto.email, dto.password));
  }

  @Post('refresh')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Token refreshed')
  @ApiOperation({
    summary: 'Rotate a refresh token',
    description:
      'The presented refresh token is spent. Presenting a spent token again revokes every token of that login.',
  })
  @ApiEnvelope(TokenPairResponseDto)
  @ApiErrors(400, 401, 503)
  refresh(@Body() dto: RefreshTokenDto) {
    return this.commands.execute(new RefreshTokensCommand(dto.refreshToken));
  }

  @Post('logout')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Logout successful')
  @ApiOperation({
    summary: 'End a login',
    description: 'The refresh token and every token rotated from the same login stop working.',
  })
  @ApiEnvelope(null)
  @ApiErrors(400, 401, 503)
  async logout(@Body() dto: RefreshTokenDto) {
    await this.commands.execute(new LogoutCommand(dto.refreshToken));
    return null;
  }

  @Get('me')
  @ApiBearerAuth('bearer')
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: 'The caller' })
  @ApiEnvelope(UserResponseDto)
  @ApiErrors(401, 503)
  me(@CurrentUser() user: AuthUser) {
    return this.queries.execute(new GetCurrentUserQuery(user.id));
  }

  @Post('api-keys')
  @ApiBearerAuth('bearer')
  @ApiSecurity('apiKey')
  @ResponseMessage('API key created')
  @ApiOperation({
    summary: 'Create an API key',
    description: 'The key is in the answer once; only its hash is kept.',
  })
  @ApiEnvelope(ApiKeyCreatedResponseDto, { status: HttpStatus.CREATED, description: 'Created' })
  @ApiErrors(400, 401, 503)
  createApiKey(@CurrentUser() user: AuthUser, @Body() dto: CreateApiKeyDto) {
    return this.commands.execute(new CreateApiKeyCommand(user.id, dto.name));
  }

  @Get('api-keys')
  @ApiBearerAuth('bearer')
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: "The caller's active API keys (without secrets)" })
  @ApiEnvelope(ApiKeyResponseDto, { isArray: true })
  @ApiErrors(401, 503)
  listApiKeys(@CurrentUser() user: AuthUser) {
    return this.queries.execute(new ListApiKeysQuery(user.id));
  }

  @Delete('api-keys/:id')
  @ApiBearerAuth('bearer')
  @ApiSecurity('apiKey')
  @ResponseMessage('API key revoked')
  @ApiOperation({ summary: 'Revoke an API key', description: 'The key is refused from the next request on.' })
  @ApiEnvelope(null)
  @ApiErrors(401, 404, 503)
  async revokeApiKey(
    @CurrentUser() user: AuthUser,
    @Param('id', new UuidParam('API_KEY_NOT_FOUND', 'API key not found')) id: string,
  ) {
    await this.commands.execute(new RevokeApiKeyCommand(user.id, id));
    return null;
  }

  @Get('webhook-secret')
  @ApiBearerAuth('bearer')
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: "The caller's webhook signing secret" })
  @ApiEnvelope(WebhookSecretResponseDto)
  @ApiErrors(401, 503)
  webhookSecret(@CurrentUser() user: AuthUser) {
    return this.queries.execute(new GetWebhookSecretQuery(user.id));
  }

  @Post('webhook-secret/rotate')
  @ApiBearerAuth('bearer')
  @ApiSecurity('apiKey')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Webhook secret rotated')
  @ApiOperation({
    summary: 'Rotate the webhook signing secret',
    description: 'Deliveries are signed with the new secret and, for 24 hours, also with the previous one.',
  })
  @ApiEnvelope(WebhookSecretResponseDto)
  @ApiErrors(401, 503)
  rotateWebhookSecret(@CurrentUser() user: AuthUser) {
    return this.commands.execute(new RotateWebhookSecretCommand(user.id));
  }
}
