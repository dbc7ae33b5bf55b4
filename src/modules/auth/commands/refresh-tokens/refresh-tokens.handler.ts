import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AppError } from '@app/common/errors/app-error';
import { DataSource, IsNull } from 'typeorm';
import { CredentialRevocations } from '../../credential-revocations';
import { RefreshTokenEntity } from '../../entities/refresh-token.entity';
import { UserEntity } from '../../entities/user.entity';
import { TokenIssuer } from '../../token-issuer';
import { RefreshTokensCommand } from './refresh-tokens.command';

const invalid = () => new AppError('INVALID_REFRESH_TOKEN', 'Invalid or expired refresh token');

/**
 * Rotation with reuse detection: the presented token is marked used by a conditional update, so of two
 * concurrent refreshes with one token only one wins; presenting a used token revokes its whole family (and
 * ends the sockets of the family's access tokens, on every API instance).
 */
@CommandHandler(RefreshTokensCommand)
export class RefreshTokensHandler implements ICommandHandler<RefreshTokensCommand> {
  private readonly logger = new Logger(RefreshTokensHandler.name);

  constructor(
    private readonly db: DataSource,
    private readonly tokens: TokenIssuer,
    private readonly revocations: CredentialRevocations,
  ) {}

  async execute({ refreshToken }: RefreshTokensCommand) {
    const claims = await this.tokens.verifyRefresh(refreshToken);
    if (!claims) throw invalid();
    const reused = await this.db.transaction(async (tx) => {
      const rotated = await tx.update(
        RefreshTokenEntity,
        { id: claims.jti, usedAt: IsNull(), revokedAt: IsNull() },
        { usedAt: new Date() },
      );
      if (rotated.affected !== 1) return true;
      const user = await tx.findOneBy(UserEntity, { id: claims.sub });
      if (!user) throw invalid();
      return this.tokens.issue(
        { id: user.id, email: user.email, role: user.role },
        { familyId: claims.fam, parentId: claims.jti },
        tx,
      );
    });
    if (reused === true) {
      await this.db
        .getRepository(RefreshTokenEntity)
        .update({ familyId: claims.fam, revokedAt: IsNull() }, { revokedAt: new Date() });
      await this.revocations.publish({ kind: 'family', id: claims.fam });
      this.logger.warn({ userId: claims.sub, familyId: claims.fam }, 'Refresh token reused: family revoked');
      throw invalid();
    }
    return reused;
  }
}
