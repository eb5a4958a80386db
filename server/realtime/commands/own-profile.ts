/** The user's own profile (XEP-0292 vCard4, XEP-0054 vcard-temp, XEP-0172 nickname). */
import type { CommandGroup } from '../gateway.js';

export const ownProfileCommands: CommandGroup = (handle, session) => {
  handle('setOwnProfile', (fields) => session.ownProfile.save(fields));
};
