import type { UserConfig } from '@hey-api/openapi-ts' with { 'resolution-mode': 'import' };
import { resolve } from 'node:path';

/**
 * @hey-api/openapi-ts configuration of the generated SDK (`npm run sdk:generate`). SDK_INPUT and SDK_OUTPUT
 * move the input document and the output folder: the drift test regenerates into a temporary folder.
 */
const config: UserConfig = {
  input: resolve(process.env.SDK_INPUT ?? resolve(__dirname, 'openapi.json')),
  output: {
    path: resolve(process.env.SDK_OUTPUT ?? resolve(__dirname, 'src')),
    tsConfigPath: resolve(__dirname, '../../tsconfig.json'),
    module: { extension: '' },
  },
  plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch'],
};

export default config;
