import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { LoggerModule } from 'nestjs-pino';
import { appConfigModule } from './config/config.module';
import { dataSourceOptions } from './config/data-source';
import { Env, redisUrlOf } from './config/env';
import { loggerOptions } from './config/logger';
import { AuthModule } from './modules/auth/auth.module';
import { JobsModule } from './modules/jobs/jobs.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';
import { RealtimeModule } from './modules/realtime/realtime.module';
import { AdminModule } from './modules/admin/admin.module';
import { HealthModule } from './modules/health/health.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { queueConnection, REDIS, RedisModule } from './modules/redis/redis.module';
import { WorkersModule } from './modules/workers/workers.module';

@Module({
  imports: [
    LoggerModule.forRootAsync({ inject: [ConfigService], useFactory: loggerOptions }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) => ({
        ...dataSourceOptions({ DATABASE_URL: config.get('DATABASE_URL', { infer: true }) }),
        migrationsRun: config.get('DB_MIGRATIONS_RUN', { infer: true }),
        // Fail start-up at once rather than retrying for half a minute; main.ts has already checked.
        retryAttempts: 1,
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, REDIS],
      useFactory: (config: ConfigService<Env, true>, redis: Redis) => ({
        // Applied only where a route opts in with ThrottlerGuard (login, register): per IP, per minute.
        throttlers: [
          { name: 'default', ttl: 60_000, limit: config.get('AUTH_RATE_LIMIT_PER_MINUTE', { infer: true }) },
        ],
        // The shared client (RedisModule closes it), so the counts hold across API instances.
        storage: new ThrottlerStorageRedisService(redis),
      }),
    }),
    BullModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) => ({
        connection: queueConnection(redisUrlOf(config)),
        prefix: config.get('QUEUE_PREFIX', { infer: true }),
      }),
      // Workers start only in worker processes (QueueWorkers), never just because the module loaded.
      extraOptions: { manualRegistration: true },
    }),
    CqrsModule.forRoot(),
    RedisModule,
    HealthModule,
    MetricsModule,
    AuthModule,
    JobsModule,
    WebhooksModule,
    RealtimeModule,
    AdminModule,
    WorkersModule,
  ],
})
export class AppModule {
  /** The app with its configuration, read from the environment (and `.env`) now. */
  static forRoot(): DynamicModule {
    return { module: AppModule, imports: [appConfigModule()] };
  }
}
