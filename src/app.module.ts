import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { LoggerModule } from 'nestjs-pino';
import { AppConfigModule } from './config/config.module';
import { dataSourceOptions } from './config/data-source';
import { Env, isTrue, redisUrlOf } from './config/env';
import { loggerOptions } from './config/logger';
import { AuthModule } from './modules/auth/auth.module';
import { HealthModule } from './modules/health/health.module';
import { API_REDIS_OPTIONS, RedisModule } from './modules/redis/redis.module';

@Module({
  imports: [
    AppConfigModule,
    LoggerModule.forRootAsync({ inject: [ConfigService], useFactory: loggerOptions }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) => ({
        ...dataSourceOptions({ DATABASE_URL: config.get('DATABASE_URL', { infer: true }) }),
        migrationsRun: isTrue(config.get('DB_MIGRATIONS_RUN', { infer: true })),
        // Fail start-up at once rather than retrying for half a minute; main.ts has already checked.
        retryAttempts: 1,
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) => ({
        // Applied only where a route opts in with ThrottlerGuard (login, register): per IP, per minute.
        throttlers: [
          { name: 'default', ttl: 60_000, limit: config.get('AUTH_RATE_LIMIT_PER_MINUTE', { infer: true }) },
        ],
        storage: new ThrottlerStorageRedisService(redisUrlOf(config), {
          ...API_REDIS_OPTIONS,
          keyPrefix: 'conveyor:throttle:',
        }),
      }),
    }),
    CqrsModule.forRoot(),
    RedisModule,
    HealthModule,
    AuthModule,
  ],
})
export class AppModule {}
