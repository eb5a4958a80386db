/**
 * Group chat commands of the registry: join, leave, nickname, subject, occupants, and discovery (services, public
 * rooms, room info). Always the socket's own account session: a tab only ever reaches its account's rooms.
 */
import type { CommandGroup } from '../gateway.js';
import { RoomJoinError } from '../../features/rooms/registry.js';

export const roomCommands: CommandGroup = (handle, session) => {
  const rooms = session.rooms;
  handle('roomServices', async () => ({ services: await rooms.services() }));
  handle('roomBrowse', async (c) => rooms.browse(c.service, c.filter, c.after));
  handle('roomInfo', async (c) => rooms.info(c.room));
  handle('roomJoin', async (c) => {
    try {
      const room = await rooms.join(c.room, { nick: c.nick, password: c.password });
      if (c.bookmark && rooms.bookmarks) {
        void rooms.bookmarks
          .save({ room: room.jid, name: room.name, nick: room.nick, password: c.password ?? null, autojoin: true })
          .catch(() => undefined);
      }
      return { room };
    } catch (err) {
      // Refused (nickname in use, password, members-only...): the room says why, with a suggestion where there is one.
      const dto = err instanceof RoomJoinError ? (err.room ?? rooms.dto(c.room)) : undefined;
      if (dto) return { room: dto };
      throw err;
    }
  });
  handle('roomLeave', async (c) => {
    await rooms.leave(c.room, c.forget);
    return {};
  });
  handle('roomNick', async (c) => ({ room: await rooms.changeNick(c.room, c.nick) }));
  handle('roomSubject', async (c) => {
    await rooms.setSubject(c.room, c.subject);
    return {};
  });
  handle('roomOccupants', async (c) => ({ room: c.room, occupants: rooms.occupants(c.room) }));
};
