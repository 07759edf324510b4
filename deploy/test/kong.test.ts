import { createPrivateKey, generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kongSchema } from '../check/kong-schema.js';
import { disagreements, kongResolver } from '../check/routes.js';
import { BEARER_PREFIXES, defaultOptions, kongConfig, kongServiceName, renderKong } from '../kong/generate.js';
import { ROUTES, SERVICES } from '../routes.js';

const committed = readFileSync('deploy/kong/kong.yml', 'utf8');
const validate = new Ajv({ allErrors: true, strict: true }).compile(kongSchema);

/** A key as the API makes one (modules/auth/keys.ts): Ed25519, kid = the JWK thumbprint. */
async function apiKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, jwks: { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] } };
}

describe('deploy/kong/kong.yml', () => {
  it('is what deploy/kong/generate.ts writes from deploy/routes.ts (run npm run kong:generate after changing either)', () => {
    expect(committed).toBe(renderKong(defaultOptions()));
  });

  it('is DB-less declarative config 3.0 whose every entity and plugin field is one Kong knows', () => {
    const document = parse(committed);
    expect(document._format_version).toBe('3.0');
    expect(validate(document), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('the schema check refuses a misspelled plugin field (so the check above can fail)', () => {
    const document = parse(committed);
    document.plugins.find((p: { name: string }) => p.name === 'rate-limiting').config.minutes = 100;
    expect(validate(document)).toBe(false);
  });

  it('routes every path to the service deploy/routes.ts names, and keeps /metrics off the gateway', () => {
    const resolve = kongResolver(parse(committed));
    const problems = disagreements(resolve, (route) => (route.internal ? 'blocked' : kongServiceName(route.target)));
    expect(problems).toEqual([]);
  });

  it('the route check catches a plain Kong prefix path, which would send /api/v1/members to auth', () => {
    const document = parse(committed);
    const me = document.services[0].routes.find((r: { name: string }) => r.name === 'api-v1-me');
    me.paths = ['~/api/v1/me'];
    expect(disagreements(kongResolver(document), (route) => kongServiceName(route.target))).toContain(
      '/api/v1/members: expected crewdesk-any (routes.ts: / → any), got crewdesk-auth',
    );
  });

  it('has a service and an upstream with active /health/ready checks per Crewdesk service, least connections', () => {
    const document = parse(committed);
    expect(document.services.map((s: { name: string }) => s.name)).toEqual(
      [...SERVICES, 'any' as const].map((target) => kongServiceName(target)),
    );
    for (const upstream of document.upstreams) {
      expect(upstream.algorithm).toBe('least-connections');
      expect(upstream.healthchecks.active.http_path).toBe('/health/ready');
      expect(upstream.targets.length).toBeGreaterThan(0);
    }
    const any = document.upstreams.find((u: { name: string }) => u.name === 'crewdesk-any.upstream');
    expect(any.targets.map((t: { target: string }) => t.target)).toEqual(SERVICES.map((s) => `${s}:3000`));
  });

  it('applies the seed’s limits (100/min, 1000/h per address), a stricter one on sign-in, CORS from the allowlist, body limits and Prometheus', () => {
    const document = parse(committed);
    const global = Object.fromEntries(
      document.plugins.map((p: { name: string; config: object }) => [p.name, p.config]),
    );
    expect(Object.keys(global).sort()).toEqual([
      'correlation-id',
      'cors',
      'prometheus',
      'rate-limiting',
      'request-size-limiting',
    ]);
    expect(global['rate-limiting']).toMatchObject({ minute: 100, hour: 1000, limit_by: 'ip' });
    expect(global.cors.origins).toEqual(['https://crewdesk.example.com']);
    expect(global.cors.credentials).toBe(true);
    const routes = document.services.flatMap((s: { routes: object[] }) => s.routes);
    const login = routes.find((r: { name: string }) => r.name === 'api-v1-auth-login');
    expect(login.plugins).toEqual([
      expect.objectContaining({ name: 'rate-limiting', config: expect.objectContaining({ minute: 30 }) }),
    ]);
    const imports = routes.find((r: { name: string }) => r.name === 'api-v1-lead-imports');
    expect(imports.plugins[0].config.allowed_payload_size).toBeGreaterThan(10 * 1024 * 1024);
    const stream = routes.find((r: { name: string }) => r.name === 'api-v1-events-stream');
    expect(stream.response_buffering).toBe(false);
  });

  it('takes its limits and origins from the generator’s options (configurable, not hard-coded)', () => {
    const options = defaultOptions();
    options.rateLimit = { minute: 7, hour: 70, credentialsMinute: 3 };
    options.corsOrigins = ['https://a.example', 'https://b.example'];
    const config = kongConfig(options);
    const rate = config.plugins.find((p) => p.name === 'rate-limiting')!.config as { minute: number; hour: number };
    expect([rate.minute, rate.hour]).toEqual([7, 70]);
    expect((config.plugins.find((p) => p.name === 'cors')!.config as { origins: string[] }).origins).toEqual(
      options.corsOrigins,
    );
  });

  it('leaves token verification to the services unless given the JWKS: no jwt plugin, no consumer', () => {
    expect(committed).not.toMatch(/name: jwt/);
    expect(committed).not.toMatch(/consumers:/);
  });
});

describe('Kong’s jwt plugin from the API’s JWKS (EdDSA, Kong 3.7+)', () => {
  it('puts the jwt plugin on exactly the bearer routes, keyed by kid, with a PEM that verifies the API’s tokens', async () => {
    const key = await apiKey();
    const options = { ...defaultOptions(), jwks: key.jwks };
    const document = parse(renderKong(options));
    expect(validate(document), JSON.stringify(validate.errors, null, 2)).toBe(true);

    const withJwt = document.services
      .flatMap((s: { routes: { name: string; plugins: { name: string }[] }[] }) => s.routes)
      .filter((r: { plugins: { name: string }[] }) => r.plugins.some((p) => p.name === 'jwt'))
      .map((r: { paths: string[] }) => r.paths[0]);
    const bearer = ROUTES.filter((route) => BEARER_PREFIXES.has(route.prefix));
    expect(withJwt).toHaveLength(bearer.length);
    expect(withJwt.some((path: string) => path.includes('auth/login'))).toBe(false);

    const [secret] = document.consumers[0].jwt_secrets;
    expect(secret).toMatchObject({ key: key.kid, algorithm: 'EdDSA' });
    // A token as the API signs one (tokens.ts): Kong finds the credential by the header's kid
    // and verifies the signature over header.payload with the PEM it was given.
    const token = await new SignJWT({ role: 'member', sid: 's1' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })
      .setIssuer('crewdesk')
      .setAudience('crewdesk-api')
      .setSubject('u1')
      .setExpirationTime('15m')
      .sign(createPrivateKey(key.privateKey.export({ type: 'pkcs8', format: 'pem' })));
    const [header, payload, signature] = token.split('.');
    const signed = Buffer.from(`${header}.${payload}`);
    expect(verify(null, signed, secret.rsa_public_key, Buffer.from(signature!, 'base64url'))).toBe(true);
    const other = await apiKey();
    const otherPem = parse(renderKong({ ...defaultOptions(), jwks: other.jwks })).consumers[0].jwt_secrets[0]
      .rsa_public_key;
    expect(verify(null, signed, otherPem, Buffer.from(signature!, 'base64url'))).toBe(false);
  });
});
