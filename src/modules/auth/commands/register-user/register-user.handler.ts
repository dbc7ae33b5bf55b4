import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { AppError } from '@app/common/errors/app-error';
import { DataSource, QueryFailedError } from 'typeorm';
import { ApiKeyEntity } from '../../entities/api-key.entity';
import { UserEntity } from '../../entities/user.entity';
import { WebhookSecretEntity } from '../../entities/webhook-secret.entity';
import { UserRegisteredEvent } from '../../events/user-registered.event';
import { hashPassword } from '../../passwords';
import { newApiKey, newWebhookSecret } from '../../secrets';
import { RegisterUserCommand } from './register-user.command';

const emailTaken = () =>
  new AppError('EMAIL_TAKEN', 'Email already registered', { email: ['email already registered'] });

/** Creates the user with a first API key and a webhook secret, in one transaction. */
@CommandHandler(RegisterUserCommand)
export class RegisterUserHandler implements ICommandHandler<RegisterUserCommand> {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventBus,
  ) {}

  async execute({ email, password, role }: RegisterUserCommand) {
    if (await this.db.getRepository(UserEntity).existsBy({ email })) throw emailTaken();
    const passwordHash = await hashPassword(password);
    const apiKey = newApiKey();
    const webhookSecret = newWebhookSecret();
    const user = await this.db
      .transaction(async (tx) => {
        const created = await tx.save(tx.create(UserEntity, { email, passwordHash, role }));
        await tx.insert(ApiKeyEntity, {
          userId: created.id,
          name: 'default',
          prefix: apiKey.prefix,
          keyHash: apiKey.keyHash,
        });
        await tx.insert(WebhookSecretEntity, { userId: created.id, secret: webhookSecret });
        return created;
      })
      .catch((error: unknown) => {
        // Two registrations of one email racing past the check: the unique index decides.
        if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505')
          throw emailTaken();
        throw error;
      });
    this.events.publish(new UserRegisteredEvent(user.id, user.email));
    return {
      id: user.id,
      email: user.email,
      role: user.role,
      apiKey: apiKey.key,
      webhookSecret,
      createdAt: user.createdAt,
    };
  }
}
