/** The avatars part of the contract (XEP-0084 / XEP-0153): which contact shows which picture, and setting our own. */
import { z } from 'zod';

export interface AvatarDTO {
  /** A contact's bare JID, or our own. */
  jid: string;
  /** SHA-1 of the picture, served by Parley at /avatars/<hash>; null: no avatar (letter and colour). */
  hash: string | null;
}

/** Base64 of the picture a tab sends (192x192 PNG, well below this). */
export const AVATAR_UPLOAD_MAX_CHARS = 256 * 1024;

export const avatarSchemas = {
  /** Our own avatar: the tab crops and scales it; the server re-encodes it and publishes it (PEP and vCard). */
  setAvatar: z
    .object({
      data: z.string().min(4).max(AVATAR_UPLOAD_MAX_CHARS).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'not base64'),
      type: z.enum(['image/png', 'image/jpeg', 'image/webp']),
    })
    .strict(),
  /** No own avatar any more (XEP-0084 empty metadata, vcard-temp without PHOTO). */
  removeAvatar: z.object({}).strict(),
} as const;

export interface AvatarResults {
  setAvatar: { hash: string };
  removeAvatar: Record<string, never>;
}

export interface AvatarEvents {
  /** A contact's (or our own) avatar changed; only sent once the picture is stored and can be served. */
  avatar: (e: AvatarDTO) => void;
}
