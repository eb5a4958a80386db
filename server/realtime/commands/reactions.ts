/** Reaction commands (XEP-0444): always on the socket's own account and its own conversations. */
import type { CommandGroup } from '../gateway.js';

export const reactionCommands: CommandGroup = (handle, session) => {
  handle('react', (c) => session.reactions.react(c.peer, c.id, c.emojis));
};
