/** zod pieces that several parts of the contract validate with. */
import { z } from 'zod';

export const bareJid = z
  .string()
  .trim()
  .min(3)
  .max(3071)
  .regex(/^[^@/\s]+@[^@/\s]+$/, 'expected a bare JID (user@domain)')
  .transform((s) => s.toLowerCase());

export const deviceId = z.number().int().min(1).max(2 ** 31 - 1);

/** An occupant's full JID `room@service/nick` (a MUC private message); the room part lowercased, the nick kept. */
export const occupantJid = z
  .string()
  .trim()
  .min(5)
  .max(3071)
  .regex(/^[^@/\s]+@[^@/\s]+\/.+$/s, 'expected room@service/nick')
  .transform((s) => {
    const slash = s.indexOf('/');
    return s.slice(0, slash).toLowerCase() + s.slice(slash);
  });

/**
 * A conversation: a contact or a room (bare JID), or a private message with a room occupant (full JID). One pattern
 * rather than a union, so a bad address gets a sentence and not "Invalid input".
 */
export const conversationJid = z
  .string()
  .trim()
  .min(3)
  .max(3071)
  .regex(/^[^@/\s]+@[^@/\s]+(\/.+)?$/s, 'expected a bare JID (user@domain) or a room occupant (room@service/nick)')
  .transform((s) => {
    const slash = s.indexOf('/');
    return slash < 0 ? s.toLowerCase() : s.slice(0, slash).toLowerCase() + s.slice(slash);
  });
