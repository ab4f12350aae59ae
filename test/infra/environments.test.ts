// The environment table: what each environment sets, what context may override, and what is refused.
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build.ts';
import {
  ENVIRONMENT_NAMES,
  ENVIRONMENTS,
  EnvironmentError,
  resolveEnvironment,
  worstCaseRevocationSeconds,
} from '../../infra/environments.ts';

describe('environments', () => {
  it('defines dev, staging and prod', () => {
    expect(Object.keys(ENVIRONMENTS).sort()).toEqual([...ENVIRONMENT_NAMES].sort());
    for (const name of ENVIRONMENT_NAMES) expect(resolveEnvironment(name).name).toBe(name);
  });

  it('defaults to dev when no environment is named', () => {
    expect(resolveEnvironment(undefined).name).toBe('dev');
  });

  it('refuses an unknown environment with the valid names', () => {
    expect(() => resolveEnvironment('qa')).toThrow(EnvironmentError);
    expect(() => resolveEnvironment('qa')).toThrow('Unknown environment "qa". Valid names: dev, staging, prod');
  });

  it('fails synth for an unknown environment', async () => {
    await expect(buildApp({ env: 'production', context: { 'aws:cdk:bundling-stacks': [] } })).rejects.toThrow(/Valid names: dev, staging, prod/);
  });

  it("turns API Gateway's cache off in every environment, so revocation takes 2 s", () => {
    for (const name of ENVIRONMENT_NAMES) {
      const env = resolveEnvironment(name);
      expect(env.authorizerCacheSeconds).toBe(0);
      expect(env.containerCacheSeconds).toBe(10);
      expect(worstCaseRevocationSeconds(env)).toBe(2);
    }
  });

  it('refuses an API Gateway cache that would push revocation past the bound', () => {
    expect(() => resolveEnvironment('dev', { authorizerCacheSeconds: 59 })).toThrow(/at most 60 s/);
    expect(resolveEnvironment('dev', { authorizerCacheSeconds: 39 }).authorizerCacheSeconds).toBe(39);
    expect(worstCaseRevocationSeconds({ authorizerCacheSeconds: 39 })).toBe(41);
  });

  it('retains the prod table with deletion protection, PITR and a customer-managed key', () => {
    const prod = resolveEnvironment('prod');
    expect(prod).toMatchObject({ removalPolicy: 'retain', deletionProtection: true, pointInTimeRecovery: true, tableCustomerManagedKey: true });
  });

  it('turns PITR on everywhere and the example API on in dev only', () => {
    for (const name of ENVIRONMENT_NAMES) {
      const env = resolveEnvironment(name);
      expect(env.pointInTimeRecovery).toBe(true);
      expect(env.exampleApi).toBe(name === 'dev');
    }
  });

  it('deploys the console site in dev and staging, not in prod, unless context says otherwise', () => {
    expect(ENVIRONMENT_NAMES.map((name) => [name, resolveEnvironment(name).consoleSite])).toEqual([['dev', true], ['staging', true], ['prod', false]]);
    expect(resolveEnvironment('prod', { consoleSite: 'true' }).consoleSite).toBe(true);
    expect(resolveEnvironment('dev', { consoleSite: 'false' }).consoleSite).toBe(false);
    expect(resolveEnvironment('dev', { consoleSite: false }).consoleSite).toBe(false);
  });

  it('refuses a consoleSite that is not true or false', () => {
    expect(() => resolveEnvironment('dev', { consoleSite: 'yes' })).toThrow('Context consoleSite must be true or false, got "yes".');
  });

  it('uses tessera.identity as the default identity source', () => {
    for (const name of ENVIRONMENT_NAMES) expect(resolveEnvironment(name).identitySource).toBe('tessera.identity');
  });

  it('is environment-agnostic unless an account or region is given', () => {
    expect(resolveEnvironment('staging')).not.toHaveProperty('account');
    const pinned = resolveEnvironment('staging', { account: '123456789012', region: 'eu-west-1' });
    expect(pinned).toMatchObject({ account: '123456789012', region: 'eu-west-1' });
  });

  it('takes overrides from context', () => {
    const env = resolveEnvironment('prod', {
      jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
      jwtAudience: 'client-123',
      identitySource: 'acme.identity',
      corsOrigins: 'https://a.example.com, https://b.example.com',
      identityPublisherAccounts: '111122223333',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
    });
    expect(env).toMatchObject({
      jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
      jwtAudience: 'client-123',
      identitySource: 'acme.identity',
      corsOrigins: ['https://a.example.com', 'https://b.example.com'],
      identityPublisherAccounts: ['111122223333'],
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
    });
  });

  it('refuses malformed overrides with the field named', () => {
    expect(() => resolveEnvironment('dev', { jwtIssuer: 'http://insecure.example.com' })).toThrow(/jwtIssuer must be an https URL/);
    expect(() => resolveEnvironment('dev', { corsOrigins: 'https://ok.example.com/path' })).toThrow(/is not an origin/);
    expect(() => resolveEnvironment('dev', { account: '12345' })).toThrow(/12-digit/);
    expect(() => resolveEnvironment('dev', { authorizerCacheSeconds: 'soon' })).toThrow(/whole number/);
  });

  it('bounds log retention in every environment', () => {
    for (const name of ENVIRONMENT_NAMES) {
      const days = resolveEnvironment(name).logRetention as number;
      expect(days).toBeGreaterThan(0);
      expect(days).toBeLessThanOrEqual(400);
    }
  });
});
