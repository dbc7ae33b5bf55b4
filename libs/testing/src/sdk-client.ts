import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Client, createClient, createConfig } from '@app/sdk/client';
import { type OpenApiDocument, responseViolations } from './openapi-conformance';

/** The document the SDK was generated from (the drift test holds it equal to what the app serves). */
const SDK_DOCUMENT = JSON.parse(
  readFileSync(join(__dirname, '../../sdk/openapi.json'), 'utf8'),
) as OpenApiDocument;

export type SdkCredentials = { apiKey: string } | { accessToken: string };

export interface SdkHarness {
  /** A generated-SDK client for the app at `baseUrl`, anonymous or with an API key or an access token. */
  client(credentials?: SdkCredentials): Client;
  /** Every way a response seen by these clients strayed from the document (status, media type, schema). */
  violations: string[];
  /** How many responses were checked. */
  readonly checked: number;
}

/**
 * Clients of the generated SDK whose every response is checked against the document the SDK was generated
 * from: a suite asserts `violations` stays empty, so the document (and the types made from it) is exact.
 */
export function sdkHarness(baseUrl: string): SdkHarness {
  const violations: string[] = [];
  let checked = 0;
  return {
    violations,
    get checked() {
      return checked;
    },
    client(credentials) {
      const client = createClient(
        createConfig({
          baseUrl,
          // The SDK asks for a token per security scheme of the operation (X-API-Key, then bearer).
          auth: (scheme) => {
            if (!credentials) return undefined;
            if ('apiKey' in credentials) return scheme.type === 'apiKey' ? credentials.apiKey : undefined;
            return scheme.scheme === 'bearer' ? credentials.accessToken : undefined;
          },
        }),
      );
      client.interceptors.response.use(async (response, _request, options) => {
        const contentType = response.headers.get('content-type');
        const body: unknown = contentType?.startsWith('application/json')
          ? await response.clone().json()
          : undefined;
        checked += 1;
        violations.push(
          ...responseViolations(
            SDK_DOCUMENT,
            options.method ?? 'GET',
            options.url,
            response.status,
            contentType,
            body,
          ),
        );
        return response;
      });
      return client;
    },
  };
}
