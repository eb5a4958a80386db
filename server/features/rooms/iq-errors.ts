/**
 * A room's (or our server's) refusal in words a tab can show. Rooms answer admin and owner requests with stanza
 * errors (XEP-0045 §8, §10); the condition decides the sentence, the room's own text is added as text.
 */
import { CommandError } from '../messages.js';
import { XmppStanzaError } from '../../xmpp/errors.js';

const SENTENCES: Record<string, string> = {
  forbidden: 'You are not allowed to do that in this room.',
  // Prosody answers a participant's kick with not-allowed, an owner-only change with forbidden: the same to the user.
  'not-allowed': 'You are not allowed to do that in this room (or the room does not allow it).',
  // e.g. taking the last owner's affiliation away, or a configuration value the room rejects.
  'not-acceptable': 'The room did not accept that.',
  'not-authorized': 'The room needs a password or membership for that.',
  'item-not-found': 'There is no such room.',
  'bad-request': 'The room did not understand the request.',
  conflict: 'That conflicts with the room’s current state.',
  'feature-not-implemented': 'The room does not support that.',
  'service-unavailable': 'The room does not support that.',
  'remote-server-timeout': 'The room did not answer in time.',
  'remote-server-not-found': 'The room’s server cannot be reached.',
  'registration-required': 'Only members may do that in this room.',
  // The connection turns an answer over the stanza size limit into this (a hostile room's giant form).
  'resource-constraint': 'The room’s answer was too large to handle; Parley refuses it rather than use part of it.',
  'jid-malformed': 'That address is not valid for this room.',
};

/** The text a room adds to an error: bounded, one line. */
function roomText(text: string | undefined): string {
  const t = (text ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 200);
  return t ? ` (${t})` : '';
}

/** A CommandError for `err` when it is a refusal we can explain; anything else is passed on unchanged. */
export function roomCommandError(err: unknown, action: string): unknown {
  if (err instanceof CommandError) return err;
  if (err instanceof XmppStanzaError) {
    const sentence = SENTENCES[err.condition] ?? `The room refused (${err.condition}).`;
    return new CommandError(`${action}: ${sentence}${roomText(err.text)}`);
  }
  return err;
}

/** Runs an iq-backed step, turning refusals into clear CommandErrors. */
export async function explained<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw roomCommandError(err, action);
  }
}
