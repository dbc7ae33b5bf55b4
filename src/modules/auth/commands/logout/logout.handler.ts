import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { AppError } from '@app/common/errors/app-error';
import { IsNull, Repository } from 'typeorm';
import { CredentialRevocations } from '../../credential-revocations';
import { RefreshTokenEntity } from '../../entities/refresh-token.entity';
import { TokenIssuer } from '../../token-issuer';
import { LogoutCommand } from './logout.command';

/**
 * Ends the login the refresh token belongs to: every refresh token of its family stops working, and the
 * sockets of its access tokens (`fid`) end on every API instance. The access tokens themselves still answer
 * REST until they expire.
 */
@CommandHandler(LogoutCommand)
export class LogoutHandler implements ICommandHandler<LogoutCommand> {
  constructor(
    @InjectRepository(RefreshTokenEntity) private readonly refreshTokens: Repository<RefreshTokenEntity>,
    private readonly tokens: TokenIssuer,
    private readonly revocations: CredentialRevocations,
  ) {}

  async execute({ refreshToken }: LogoutCommand) {
    const claims = await this.tokens.verifyRefresh(refreshToken);
    if (!claims) throw new AppError('INVALID_REFRESH_TOKEN', 'Invalid or expired refresh token');
    await this.refreshTokens.update({ familyId: claims.fam, revokedAt: IsNull() }, { revokedAt: new Date() });
    await this.revocations.publish({ kind: 'family', id: claims.fam });
  }
}
