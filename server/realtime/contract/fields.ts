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
