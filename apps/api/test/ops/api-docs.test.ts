import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helper.js';

describe('API_DOCS', () => {
  it('serves the reference and the document by default, the docs page alone with its looser CSP', async () => {
    const app = await createTestApp();
    try {
      const doc = await app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(doc.statusCode).toBe(200);
      expect(doc.json().openapi).toBe('3.1.0');
      const page = await app.inject({ method: 'GET', url: '/api/docs/' });
      expect(page.statusCode).toBe(200);
      const docsCsp = String(page.headers['content-security-policy']);
      const apiCsp = String(
        (await app.inject({ method: 'GET', url: '/health/live' })).headers['content-security-policy'],
      );
      expect(apiCsp).toContain("script-src 'self'");
      expect(apiCsp).not.toContain('unsafe-inline');
      expect(docsCsp).not.toBe(apiCsp);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('answers both with 404 when API_DOCS=false', async () => {
    const app = await createTestApp({ API_DOCS: 'false' });
    try {
      for (const url of ['/api/openapi.json', '/api/docs', '/api/docs/', '/api/docs/static/index.html']) {
        expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
      }
    } finally {
      await app.close();
    }
  }, 60_000);
});
