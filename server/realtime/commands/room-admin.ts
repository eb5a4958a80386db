/**
 * Room administration commands (rooms-admin): creating and configuring rooms, invitations, moderation. Always the
 * socket's own account session; its rooms parts exist once the registry is attached (AccountSession.roomsAdmin).
 */
import type { CommandGroup } from '../gateway.js';
import type { AccountSession } from '../../xmpp/account-session.js';
import type { RoomsAdministration } from '../../features/rooms/administration.js';
import { CommandError } from '../../features/messages.js';

function parts(session: AccountSession): RoomsAdministration {
  const p = session.roomsAdmin;
  if (!p) throw new CommandError('Group chats are not available in this session yet.');
  return p;
}

export const roomAdminCommands: CommandGroup = (handle, session) => {
  handle('roomCreate', async (c) => ({ room: await parts(session).admin.create(c) }));
  handle('roomConfig', async (c) => ({ form: await parts(session).admin.config(c.room) }));
  handle('roomConfigure', async (c) => {
    await parts(session).admin.configure(c.room, c.values);
    return {};
  });
  handle('roomDestroy', async (c) => {
    await parts(session).admin.destroy(c.room, c.reason, c.alternate);
    return {};
  });
  handle('roomInvite', async (c) => {
    await parts(session).admin.invite(c);
    return {};
  });
  handle('invitationAnswer', (c) => parts(session).invitations.answer(c));
  handle('roomAffiliations', async (c) => ({ items: await parts(session).admin.affiliations(c.room, c.affiliation) }));
  handle('roomSetAffiliation', async (c) => {
    await parts(session).admin.setAffiliation(c.room, c.jid, c.affiliation, c.reason);
    return {};
  });
  handle('roomSetRole', async (c) => {
    await parts(session).admin.setRole(c.room, c.nick, c.role, c.reason);
    return {};
  });
  handle('roomModerate', async (c) => {
    await parts(session).admin.moderate(c.room, c.id, c.reason);
    return {};
  });
  handle('roomMembers', async (c) => ({ members: await parts(session).admin.members(c.room) }));
};
