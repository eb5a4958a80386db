/** Search, the "around" history page, paging newer, and conversation mutes; always the socket's own account. */
import type { CommandGroup } from '../gateway.js';

export const searchCommands: CommandGroup = (handle, session) => {
  handle('search', (c) => session.search.search(c));
  handle('historyAround', (c) => session.search.around(c.peer, c.id, c.half));
  handle('historyNewer', (c) => session.search.newer(c.peer, c.after, c.limit));
  handle('mutes', async () => ({ peers: await session.search.mutes() }));
  handle('setMuted', async (c) => {
    await session.search.setMuted(c.peer, c.muted);
    return {};
  });
};
