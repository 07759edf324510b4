import type { SignedIn } from '../helper.js';

export interface Frame {
  id?: string;
  event?: string;
  data?: string;
}

/** An open event stream: frames as they arrive, read by `next`. */
export async function openStream(base: string, user: SignedIn, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/v1/events/stream`, {
    headers: { ...user.auth, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  void (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Frame = {};
          for (const line of block.split('\n')) {
            const [field, ...rest] = line.split(': ');
            if (field === 'id' || field === 'event' || field === 'data') frame[field] = rest.join(': ');
          }
          if (frame.event) frames.push(frame);
          waiters.splice(0).forEach((w) => w());
        }
      }
    } catch {
      // aborted
    }
    ended = true;
    waiters.splice(0).forEach((w) => w());
  })();
  let read = 0;
  return {
    res,
    get ended() {
      return ended;
    },
    /** The next frame, or null once the stream has ended. */
    async next(timeoutMs = 5_000): Promise<Frame | null> {
      const deadline = Date.now() + timeoutMs;
      while (read >= frames.length) {
        if (ended) return null;
        if (Date.now() > deadline) throw new Error('no event within the timeout');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return frames[read++]!;
    },
    close: () => controller.abort(),
  };
}
