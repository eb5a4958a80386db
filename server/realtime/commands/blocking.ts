/** Blocking commands (XEP-0191): block and unblock an address, read the blocklist; always the socket's own account. */
import type { CommandGroup } from '../gateway.js';

export const blockingCommands: CommandGroup = (handle, session) => {
  handle('block', async (c) => {
    await session.block(c.jid);
    return {};
  });
  handle('unblock', async (c) => {
    await session.blocking.unblock(c.jid);
    return {};
  });
  handle('blocklist', async () => session.blocking.snapshot());
};
