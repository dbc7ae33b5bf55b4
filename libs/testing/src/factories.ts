import { randomUUID } from 'node:crypto';
import type { TestApp } from './create-test-app';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  apiKey: string;
  webhookSecret: string;
  accessToken: string;
  refreshToken: string;
}

export const uniqueEmail = (label = 'user') => `${label}-${randomUUID().slice(0, 8)}@example.com`;

/** Registers a fresh user through the API and logs in. */
export async function makeUser(
  t: TestApp,
  overrides: { email?: string; password?: string } = {},
): Promise<TestUser> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? 'password-123';
  const registered = await t.http().post('/api/auth/register').send({ email, password }).expect(201);
  const login = await t.http().post('/api/auth/login').send({ email, password }).expect(200);
  return {
    id: registered.body.data.id,
    email,
    password,
    apiKey: registered.body.data.apiKey,
    webhookSecret: registered.body.data.webhookSecret,
    accessToken: login.body.data.accessToken,
    refreshToken: login.body.data.refreshToken,
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
