/** Message mutations: chat states, corrections, retractions, versions, delete for me; always the socket's own account. */
import type { CommandGroup } from '../gateway.js';

export const mutationCommands: CommandGroup = (handle, session) => {
  handle('chatState', async (c) => {
    await session.chatStates.send(c.peer, c.state);
    return {};
  });
  handle('correct', async (c) => ({ message: await session.mutations.correct(c) }));
  handle('retract', async (c) => ({ message: await session.mutations.retract(c) }));
  handle('versions', async (c) => ({ versions: await session.mutations.versions(c) }));
  handle('deleteMessage', async (c) => {
    await session.mutations.deleteMessage(c);
    return {};
  });
  handle('deleteConversation', async (c) => ({ deleted: await session.mutations.deleteConversation(c.peer) }));
};
