/** Avatar commands (XEP-0084 / XEP-0153): a tab sets the account's own avatar. */
import type { CommandGroup } from '../gateway.js';
import { CommandError } from '../../features/messages.js';
import { AvatarRefused } from '../../features/avatars.js';

export const avatarCommands: CommandGroup = (handle, session) => {
  handle('setAvatar', async (c) => {
    const bytes = Buffer.from(c.data, 'base64');
    try {
      return await session.avatars.publishOwn(bytes);
    } catch (err) {
      if (err instanceof AvatarRefused) throw new CommandError('That picture could not be read as an image.');
      throw err;
    }
  });
  handle('removeAvatar', async () => {
    await session.avatars.removeOwn();
    return {};
  });
};
