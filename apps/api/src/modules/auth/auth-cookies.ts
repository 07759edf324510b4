import type { FastifyReply, FastifyRequest } from 'fastify';

/** The refresh cookie's name and path on plain-http localhost (development). */
export const REFRESH_COOKIE = 'crewdesk_refresh';
export const REFRESH_COOKIE_PATH = '/api/v1/auth';
/**
 * Its name wherever the cookie is Secure. `__Host-` makes the browser refuse it unless it is
 * Secure, host-only and Path=/, so neither a sibling subdomain nor a plain-http page can plant or
 * overwrite it; the price is Path=/ (see docs/security.md).
 */
export const HOST_REFRESH_COOKIE = `__Host-${REFRESH_COOKIE}`;
export const DEVICE_COOKIE = 'crewdesk_device';
export const HOST_DEVICE_COOKIE = `__Host-${DEVICE_COOKIE}`;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export type PresentedRefresh = { kind: 'none' } | { kind: 'one'; token: string } | { kind: 'several' };

/** Every value the raw Cookie header gives these names (@fastify/cookie keeps one per name). */
function cookieValues(header: string | undefined, names: ReadonlySet<string>): { name: string; value: string }[] {
  if (!header) return [];
  const found: { name: string; value: string }[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    if (names.has(name)) found.push({ name, value: pair.slice(eq + 1).trim() });
  }
  return found;
}

/**
 * The refresh and device cookies: HttpOnly, SameSite=Strict, Secure (with the `__Host-` prefix)
 * everywhere except plain-http localhost, where browsers would drop a Secure cookie.
 */
export class AuthCookies {
  constructor(private readonly production: boolean) {}

  private secure(request: FastifyRequest): boolean {
    return this.production || request.protocol === 'https' || !LOCAL_HOSTS.has(request.hostname);
  }

  private refreshCookie(request: FastifyRequest) {
    return this.secure(request)
      ? { name: HOST_REFRESH_COOKIE, path: '/', secure: true }
      : { name: REFRESH_COOKIE, path: REFRESH_COOKIE_PATH, secure: false };
  }

  /**
   * The refresh token this request carries. Two refresh cookies (one planted on a parent path, or
   * both names) are `several`: answering with either could sign the browser in to someone else's
   * account. A cookie of the name this origin does not issue counts as none.
   */
  readRefresh(request: FastifyRequest): PresentedRefresh {
    const found = cookieValues(request.headers.cookie, new Set([REFRESH_COOKIE, HOST_REFRESH_COOKIE]));
    if (found.length > 1) return { kind: 'several' };
    const [only] = found;
    if (!only || only.name !== this.refreshCookie(request).name || !only.value) return { kind: 'none' };
    let token: string;
    try {
      token = decodeURIComponent(only.value);
    } catch {
      return { kind: 'none' };
    }
    return { kind: 'one', token };
  }

  setRefresh(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number) {
    const { name, path, secure } = this.refreshCookie(request);
    reply.setCookie(name, token, { path, secure, httpOnly: true, sameSite: 'strict', maxAge: maxAgeSeconds });
    // The unprefixed cookie an earlier release set on this origin would otherwise be a second one.
    if (name === HOST_REFRESH_COOKIE && request.cookies[REFRESH_COOKIE] !== undefined) this.clearLegacy(reply);
  }

  /** Clears the refresh cookie, under whichever names the request carried. */
  clearRefresh(request: FastifyRequest, reply: FastifyReply) {
    const { name, path, secure } = this.refreshCookie(request);
    reply.clearCookie(name, { path, secure, httpOnly: true, sameSite: 'strict' });
    if (name === HOST_REFRESH_COOKIE && request.cookies[REFRESH_COOKIE] !== undefined) this.clearLegacy(reply);
    if (name === REFRESH_COOKIE && request.cookies[HOST_REFRESH_COOKIE] !== undefined) {
      reply.clearCookie(HOST_REFRESH_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
    }
  }

  private clearLegacy(reply: FastifyReply) {
    reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH, httpOnly: true, sameSite: 'strict' });
  }

  /** Sent to sign-in and password change, so it is on Path=/ (as `__Host-` demands anyway). */
  readDevice(request: FastifyRequest): string | null {
    return request.cookies[this.secure(request) ? HOST_DEVICE_COOKIE : DEVICE_COOKIE] ?? null;
  }

  setDevice(request: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number) {
    const secure = this.secure(request);
    reply.setCookie(secure ? HOST_DEVICE_COOKIE : DEVICE_COOKIE, value, {
      path: '/',
      secure,
      httpOnly: true,
      sameSite: 'strict',
      maxAge: maxAgeSeconds,
    });
  }
}
