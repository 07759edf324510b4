import { describe, expect, it } from 'vitest';
import { checkNginxRoutes, nginxLocations, nginxResolver } from '../check/routes.js';
import { ROUTES, type Target } from '../routes.js';

const upstreamOf = (target: Target) => (target === 'any' ? 'crewdesk_any' : `crewdesk_${target}`);

/** An nginx server block in the shape a correct gateway takes: `=` for the path, `^~ path/` for what follows. */
function gateway(): string {
  const blocks = ROUTES.flatMap((route) => {
    const body = route.internal ? 'return 404;' : `proxy_pass http://${upstreamOf(route.target)};`;
    if (route.exact) return [`location = ${route.prefix} { ${body} }`];
    if (route.prefix === '/') return [`location / { ${body} }`];
    return [
      `location = ${route.prefix} { ${body} }`,
      `location ^~ ${route.prefix}/ {\n  proxy_set_header Host $host;\n  ${body}\n}`,
    ];
  });
  return `server {\n  listen 443 ssl http2;\n  # location /commented { proxy_pass http://nowhere; }\n  ${blocks.join('\n  ')}\n}\n`;
}

describe('the nginx route check (checkNginxRoutes, for the configs rendered from deploy/nginx)', () => {
  it('accepts a gateway that routes as deploy/routes.ts says', () => {
    expect(checkNginxRoutes(gateway(), upstreamOf)).toEqual([]);
  });

  it('reads location blocks with their modifiers, upstreams and return codes, skipping comments', () => {
    const locations = nginxLocations(gateway());
    expect(locations).toContainEqual({ modifier: '^~', pattern: '/api/v1/tasks/', backend: 'crewdesk_tasks' });
    expect(locations).toContainEqual({ modifier: '=', pattern: '/metrics', backend: 'return:404' });
    expect(locations.some((l) => l.pattern === '/commented')).toBe(false);
  });

  it('catches a plain prefix location, which sends /api/v1/members to auth', () => {
    const broken = gateway().replace('location ^~ /api/v1/me/ {', 'location /api/v1/me {');
    expect(checkNginxRoutes(broken, upstreamOf)).toContain(
      '/api/v1/members: expected crewdesk_any (routes.ts: / → any), got crewdesk_auth',
    );
  });

  it('catches /metrics left on the public gateway', () => {
    const broken = gateway().replace('location = /metrics { return 404; }', '');
    expect(checkNginxRoutes(broken, upstreamOf)).toContain(
      '/metrics: expected return:404 (routes.ts: /metrics → any), got crewdesk_any',
    );
  });

  it('follows nginx’s order: exact, then a ^~ prefix, then the first regex, then the longest prefix', () => {
    const resolve = nginxResolver(`
      location / { proxy_pass http://web; }
      location /api/ { proxy_pass http://api; }
      location ^~ /static/ { proxy_pass http://files; }
      location ~ \\.json$ { proxy_pass http://json; }
      location = /api/x.json { proxy_pass http://exact; }
    `);
    expect(resolve('/api/x.json')).toBe('exact');
    expect(resolve('/api/y.json')).toBe('json');
    expect(resolve('/static/a.json')).toBe('files');
    expect(resolve('/api/tasks')).toBe('api');
    expect(resolve('/other')).toBe('web');
  });
});
