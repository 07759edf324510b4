import { describe, expect, it } from 'vitest';
import { register, useTestApp } from './helper.js';

describe('smoke', () => {
  const ctx = useTestApp();
  it('registers and creates a task', async () => {
    const u = await register(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: u.auth,
      payload: { title: 'Call Bob' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/tasks', headers: u.auth });
    expect(list.json().items).toHaveLength(1);
  });
});
