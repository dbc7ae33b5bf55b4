import { ConfigModule } from '@nestjs/config';
import { validateEnv } from './env';

/** Global, validated configuration: read it with `ConfigService<Env, true>` and `{ infer: true }`. */
export const AppConfigModule = ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateEnv });
