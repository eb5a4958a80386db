/** Roster and subscription commands (RFC 6121): what a tab does with contacts and with requests to see our presence. */
import type { CommandGroup } from '../gateway.js';
import { CommandError } from '../../features/messages.js';

export const rosterCommands: CommandGroup = (handle, session) => {
  const notSelf = (jid: string) => {
    if (jid === session.jid) throw new CommandError('You cannot add yourself.');
  };
  handle('addContact', async (c) => {
    notSelf(c.jid);
    await session.subscriptions.addContact(c.jid, c.name, c.groups);
    return {};
  });
  handle('updateContact', async (c) => {
    notSelf(c.jid);
    if (!session.roster.has(c.jid)) throw new CommandError('That address is not in your contacts.');
    await session.roster.set(c.jid, c.name, c.groups);
    return {};
  });
  handle('removeContact', async (c) => {
    await session.roster.remove(c.jid);
    return {};
  });
  handle('approveSubscription', async (c) => {
    await session.subscriptions.approve(c.jid);
    return {};
  });
  handle('denySubscription', async (c) => {
    await session.subscriptions.deny(c.jid);
    return {};
  });
  handle('denyAllSubscriptions', async () => ({ denied: await session.subscriptions.denyAll() }));
};
