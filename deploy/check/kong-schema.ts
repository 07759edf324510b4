/**
 * A JSON schema for the parts of Kong's declarative format (3.0) that deploy/kong/kong.yml uses:
 * entity and plugin field names and types as Kong 3.7+ defines them (kong/db/schema/entities/*.lua
 * and kong/plugins/<name>/schema.lua). Unknown fields are refused, so a typo fails here first;
 * `kong config parse` in the ci workflow's kong job checks the whole file against Kong itself.
 */
const integer = { type: 'integer', minimum: 0 };
const strings = { type: 'array', items: { type: 'string' } };
const statuses = { type: 'array', items: { type: 'integer', minimum: 100, maximum: 999 } };
const strict = (properties: Record<string, object>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});

const pluginConfigs: Record<string, object> = {
  'correlation-id': strict({
    header_name: { type: 'string' },
    generator: { enum: ['uuid', 'uuid#counter', 'tracker'] },
    echo_downstream: { type: 'boolean' },
  }),
  'rate-limiting': strict({
    second: integer,
    minute: integer,
    hour: integer,
    day: integer,
    limit_by: { enum: ['consumer', 'credential', 'ip', 'service', 'header', 'path', 'consumer-group'] },
    policy: { enum: ['local', 'cluster', 'redis'] },
    fault_tolerant: { type: 'boolean' },
    hide_client_headers: { type: 'boolean' },
  }),
  cors: strict({
    origins: strings,
    methods: {
      type: 'array',
      items: { enum: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] },
    },
    headers: strings,
    exposed_headers: strings,
    credentials: { type: 'boolean' },
    max_age: integer,
    preflight_continue: { type: 'boolean' },
  }),
  'request-size-limiting': strict({
    allowed_payload_size: integer,
    size_unit: { enum: ['megabytes', 'kilobytes', 'bytes'] },
    require_content_length: { type: 'boolean' },
  }),
  prometheus: strict({
    per_consumer: { type: 'boolean' },
    status_code_metrics: { type: 'boolean' },
    latency_metrics: { type: 'boolean' },
    bandwidth_metrics: { type: 'boolean' },
    upstream_health_metrics: { type: 'boolean' },
  }),
  'request-termination': strict({ status_code: integer, message: { type: 'string' } }),
  jwt: strict({
    key_claim_name: { type: 'string' },
    claims_to_verify: { type: 'array', items: { enum: ['exp', 'nbf'] } },
    header_names: strings,
    uri_param_names: strings,
    cookie_names: strings,
    run_on_preflight: { type: 'boolean' },
    maximum_expiration: integer,
    secret_is_base64: { type: 'boolean' },
  }),
};

const plugin = {
  type: 'object',
  required: ['name'],
  oneOf: Object.entries(pluginConfigs).map(([name, config]) =>
    strict({ name: { const: name }, config, enabled: { type: 'boolean' } }, ['name']),
  ),
};

const healthy = strict({ interval: integer, successes: integer, http_statuses: statuses });
const unhealthy = strict({
  interval: integer,
  http_failures: integer,
  tcp_failures: integer,
  timeouts: integer,
  http_statuses: statuses,
});

export const kongSchema = strict(
  {
    _format_version: { const: '3.0' },
    services: {
      type: 'array',
      items: strict(
        {
          name: { type: 'string', pattern: '^[\\w.~-]+$' },
          host: { type: 'string' },
          port: { type: 'integer', minimum: 0, maximum: 65535 },
          protocol: { enum: ['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'udp'] },
          path: { type: 'string' },
          connect_timeout: { type: 'integer', minimum: 1 },
          read_timeout: { type: 'integer', minimum: 1 },
          write_timeout: { type: 'integer', minimum: 1 },
          retries: integer,
          routes: {
            type: 'array',
            items: strict(
              {
                name: { type: 'string', pattern: '^[\\w.~-]+$' },
                paths: { type: 'array', items: { type: 'string', pattern: '^(/|~/)' }, minItems: 1 },
                regex_priority: { type: 'integer' },
                strip_path: { type: 'boolean' },
                preserve_host: { type: 'boolean' },
                protocols: { type: 'array', items: { enum: ['http', 'https'] } },
                https_redirect_status_code: { enum: [301, 302, 307, 308, 426] },
                response_buffering: { type: 'boolean' },
                request_buffering: { type: 'boolean' },
                plugins: { type: 'array', items: plugin },
              },
              ['name', 'paths'],
            ),
          },
        },
        ['name', 'host'],
      ),
    },
    upstreams: {
      type: 'array',
      items: strict(
        {
          name: { type: 'string' },
          algorithm: { enum: ['round-robin', 'consistent-hashing', 'least-connections', 'latency'] },
          healthchecks: strict({
            active: strict({
              type: { enum: ['http', 'https', 'tcp', 'grpc', 'grpcs'] },
              http_path: { type: 'string', pattern: '^/' },
              timeout: integer,
              concurrency: { type: 'integer', minimum: 1 },
              healthy,
              unhealthy,
            }),
            passive: strict({ type: { enum: ['http', 'https', 'tcp', 'grpc', 'grpcs'] }, healthy, unhealthy }),
          }),
          targets: {
            type: 'array',
            minItems: 1,
            items: strict({ target: { type: 'string', pattern: '^[^:]+:\\d+$' }, weight: integer }, ['target']),
          },
        },
        ['name', 'targets'],
      ),
    },
    plugins: { type: 'array', items: plugin },
    consumers: {
      type: 'array',
      items: strict(
        {
          username: { type: 'string' },
          jwt_secrets: {
            type: 'array',
            items: strict(
              {
                key: { type: 'string', minLength: 1 },
                algorithm: {
                  enum: [
                    'HS256',
                    'HS384',
                    'HS512',
                    'RS256',
                    'RS384',
                    'RS512',
                    'ES256',
                    'ES384',
                    'ES512',
                    'PS256',
                    'PS384',
                    'PS512',
                    'EdDSA',
                  ],
                },
                rsa_public_key: { type: 'string', pattern: '^-----BEGIN PUBLIC KEY-----' },
              },
              ['key', 'algorithm'],
            ),
          },
        },
        ['username'],
      ),
    },
  },
  ['_format_version', 'services'],
);
