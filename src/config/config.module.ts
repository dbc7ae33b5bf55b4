import { ConfigModule } from '@nestjs/config';
import { validateEnv } from './env';

/**
 * Global, validated configuration: read it with `ConfigService<Env, true>` and `{ infer: true }`. A function,
 * not a constant: `forRoot` reads `.env` and validates the environment when it is called, so it runs when
 * the app is built (AppModule.forRoot()), not when a file imports the module graph.
 */
export const appConfigModule = () =>
  ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateEnv });
