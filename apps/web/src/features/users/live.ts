import { liveHandler } from '../../lib/live-handlers';
import { usersKey } from '../../lib/query-keys';

export const usersLiveHandlers = [liveHandler({ topics: ['user.deactivated'], invalidate: [usersKey] })];
