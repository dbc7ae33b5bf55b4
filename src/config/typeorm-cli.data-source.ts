import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';
import { validateEnv } from './env';

// What `npm run typeorm` and `migration:*` load (compiled, with -d). The CLI has no ConfigModule: read .env
// the same way the app does (real environment variables win). Nothing else imports this file.
if (existsSync('.env')) process.loadEnvFile('.env');
export default new DataSource(dataSourceOptions(validateEnv(process.env)));
