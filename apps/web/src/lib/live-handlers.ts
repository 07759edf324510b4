import type { LiveEvent, LiveEventOf, Topic } from '@crewdesk/contracts';
import type { QueryKey } from '@tanstack/react-query';

export interface ToastContext {
  /** The signed-in user, whose own changes from another tab or device read "on another device". */
  userId: string | null;
}

/** What one feature does with the events of some topics. */
export interface LiveHandler<T extends Topic> {
  topics: readonly T[];
  /** The feature's queries that these events make stale. */
  invalidate?: readonly QueryKey[];
  /**
   * The toasts for these topics' events that came from elsewhere within one toast window, given in
   * the order they arrived: as few as it takes (a burst of changes can make one toast).
   */
  toast?(events: LiveEventOf<T>[], context: ToastContext): string[];
}

/** A handler as the registry keeps it; it hands each handler only the events of the topics it listed. */
export interface RegisteredLiveHandler {
  topics: readonly Topic[];
  invalidate?: readonly QueryKey[];
  toast?(events: LiveEvent[], context: ToastContext): string[];
}

/** Declares a feature's handler, typing the events it is given by the topics it lists. */
export const liveHandler = <T extends Topic>(handler: LiveHandler<T>): RegisteredLiveHandler => handler;

/** Every feature's handlers together, as the live updates use them. */
export interface LiveHandlers {
  /** The queries an event of this topic makes stale. */
  invalidations(topic: Topic): QueryKey[];
  /** The toasts for a batch of events from elsewhere: each handler's, in the order they were registered. */
  toasts(events: LiveEvent[], context: ToastContext): string[];
}

export function registerLiveHandlers(handlers: readonly RegisteredLiveHandler[]): LiveHandlers {
  const handles = (handler: RegisteredLiveHandler, topic: Topic) => handler.topics.includes(topic);
  return {
    invalidations: (topic) => handlers.filter((h) => handles(h, topic)).flatMap((h) => h.invalidate ?? []),
    toasts: (events, context) =>
      handlers.flatMap((h) => {
        const mine = events.filter((e) => handles(h, e.topic));
        return h.toast && mine.length ? h.toast(mine, context) : [];
      }),
  };
}
