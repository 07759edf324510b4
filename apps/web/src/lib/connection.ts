import { onlineManager } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';

/**
 * Whether Crewdesk's server can be reached, which is not what `navigator.onLine` says: the browser
 * may not fire `online` when the network comes back (or say "online" on a network that goes
 * nowhere). So: `offline`, or a request that cannot reach the server and a probe that fails, mark it unreachable; from
 * then on the server is probed every few seconds (and at once on `online`) until it answers, and
 * only an answer marks it reachable again. TanStack Query follows this store, so queries refetch
 * and paused saves resume when the server is back.
 */
export const PROBE_INTERVAL_MS = 4000;
const PROBE_TIMEOUT_MS = 4000;
const API_URL = (import.meta.env.VITE_API_URL ?? '').replace(/\/$/, '');

let reachable = typeof navigator === 'undefined' ? true : navigator.onLine;
/** A browser that says it is offline is; one that says it is online may be wrong. */
const current = () => reachable && (typeof navigator === 'undefined' || navigator.onLine !== false);
const listeners = new Set<() => void>();
const reconnectListeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;
let probing: Promise<boolean> | null = null;

function notify() {
  for (const listener of listeners) listener();
}

function set(next: boolean) {
  if (next === reachable) return;
  reachable = next;
  if (next) stopProbing();
  else startProbing();
  notify();
  if (next) for (const listener of reconnectListeners) listener();
}

function startProbing() {
  if (timer === null) timer = setInterval(() => void probe(), PROBE_INTERVAL_MS);
}
function stopProbing() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

/** Asks the server's liveness probe (never cached by the service worker); its answer decides. */
export function probe(): Promise<boolean> {
  probing ??= (async () => {
    try {
      const res = await fetch(`${API_URL}/health/live`, {
        cache: 'no-store',
        credentials: 'omit',
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      set(res.status < 500);
    } catch {
      set(false);
    } finally {
      probing = null;
    }
    return current();
  })();
  return probing;
}

/** The browser or a probe says the server cannot be reached: offline until a probe gets an answer. */
export function reportUnreachable() {
  set(false);
}

/**
 * A request could not reach the server. That one endpoint failing (a proxy dropping the event
 * stream) is not "offline": a probe decides, at once.
 */
export function suspectUnreachable() {
  void probe();
}

export const isReachable = current;

/** Back to what a freshly opened page assumes, the server reachable (for tests, between cases). */
export function assumeReachable() {
  stopProbing();
  reachable = true;
  notify();
}

/** Called each time the server becomes reachable again. */
export function onReconnect(listener: () => void) {
  reconnectListeners.add(listener);
  return () => void reconnectListeners.delete(listener);
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

if (typeof window !== 'undefined') {
  window.addEventListener('offline', () => set(false));
  window.addEventListener('online', () => {
    // The browser thinks it is back: the server decides, unless it never seemed gone.
    if (reachable) notify();
    else void probe();
  });
  if (!reachable) startProbing();
}
// TanStack Query's idea of "online" is this store's, not the browser's events alone.
onlineManager.setEventListener((setOnline) => subscribe(() => setOnline(current())));
onlineManager.setOnline(current());

export const useOnline = () => useSyncExternalStore(subscribe, current, () => true);
