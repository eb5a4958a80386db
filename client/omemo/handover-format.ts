/**
 * The history handover's messages, as JSON inside OMEMO payloads between two devices of one account: parsing with
 * strict shapes, packing plaintexts into bounded chunks, and checking every handed-over entry against the server's
 * rows. Pure: no I/O, no crypto.
 */
import type { MessageDTO } from '../../server/realtime/contract.js';
import { isDeviceId } from './types.js';

export const HANDOVER_VERSION = 1;

export const HANDOVER_LIMITS = {
  /** UTF-8 bytes of one message's text (longer ones are left out, and said so). */
  entryBytes: 32_768,
  /** UTF-8 bytes of one chunk's JSON: its OMEMO element stays well under the relay's 200,000 characters. */
  chunkBytes: 96_000,
  /** Messages per handover, newest first. */
  entries: 5_000,
  conversations: 50,
  chunks: 400,
} as const;

export interface HandoverEntry {
  /** The server's message id. */
  id: string;
  text: string;
}

interface Envelope {
  v: typeof HANDOVER_VERSION;
  /** Random id of one handover (a UUID). */
  handover: string;
  /** Sending and receiving device ids, inside the ciphertext: a relayed message cannot be re-addressed. */
  from: number;
  to: number;
}

export type HandoverMessage =
  | (Envelope & { type: 'offer'; conversations: { peer: string; count: number }[]; chunks: number })
  | (Envelope & { type: 'accept' })
  | (Envelope & { type: 'decline' })
  | (Envelope & { type: 'chunk'; seq: number; peer: string; entries: HandoverEntry[] })
  | (Envelope & { type: 'result'; stored: number; rejected: number });

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const MESSAGE_ID = /^\d{1,19}$/;
const HANDOVER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BARE_JID = /^[^@/\s]{1,1023}@[^@/\s]{1,1023}$/;
/** Control characters other than tab, newline and carriage return have no place in a chat message. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const utf8Bytes = (s: string): number => new TextEncoder().encode(s).byteLength;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const count = (n: unknown, max: number): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;

function exactKeys(o: Record<string, unknown>, keys: string[]): string | null {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length) return `unexpected field ${extra[0]}`;
  const missing = keys.filter((k) => !(k in o));
  return missing.length ? `missing field ${missing[0]}` : null;
}

const ENVELOPE = ['v', 'type', 'handover', 'from', 'to'];
const FIELDS: Record<HandoverMessage['type'], string[]> = {
  offer: [...ENVELOPE, 'conversations', 'chunks'],
  accept: ENVELOPE,
  decline: ENVELOPE,
  chunk: [...ENVELOPE, 'seq', 'peer', 'entries'],
  result: [...ENVELOPE, 'stored', 'rejected'],
};

/** Reads one decrypted handover message. Entries of a chunk are checked one by one later (`checkEntries`), not here. */
export function parseHandoverMessage(text: string): Parsed<HandoverMessage> {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (!isObject(o)) return { ok: false, error: 'not an object' };
  if (o.v !== HANDOVER_VERSION) return { ok: false, error: `unsupported version ${String(o.v)}` };
  const type = o.type as HandoverMessage['type'];
  const fields = typeof type === 'string' ? FIELDS[type] : undefined;
  if (!fields) return { ok: false, error: `unknown type ${String(o.type)}` };
  const keys = exactKeys(o, fields);
  if (keys) return { ok: false, error: keys };
  if (typeof o.handover !== 'string' || !HANDOVER_ID.test(o.handover)) return { ok: false, error: 'invalid handover id' };
  if (!isDeviceId(o.from as number) || !isDeviceId(o.to as number)) return { ok: false, error: 'invalid device id' };
  switch (type) {
    case 'offer': {
      const convs = o.conversations;
      if (!Array.isArray(convs) || convs.length === 0 || convs.length > HANDOVER_LIMITS.conversations) return { ok: false, error: 'invalid conversation list' };
      for (const c of convs) {
        if (!isObject(c) || exactKeys(c, ['peer', 'count']) || typeof c.peer !== 'string' || !BARE_JID.test(c.peer) || !count(c.count, HANDOVER_LIMITS.entries)) {
          return { ok: false, error: 'invalid conversation in the list' };
        }
      }
      if (!count(o.chunks, HANDOVER_LIMITS.chunks) || o.chunks === 0) return { ok: false, error: 'invalid chunk count' };
      break;
    }
    case 'chunk':
      if (!count(o.seq, HANDOVER_LIMITS.chunks - 1)) return { ok: false, error: 'invalid chunk number' };
      if (typeof o.peer !== 'string' || !BARE_JID.test(o.peer)) return { ok: false, error: 'invalid conversation' };
      if (!Array.isArray(o.entries) || o.entries.length === 0) return { ok: false, error: 'a chunk needs entries' };
      break;
    case 'result':
      if (!count(o.stored, HANDOVER_LIMITS.entries) || !count(o.rejected, HANDOVER_LIMITS.entries)) return { ok: false, error: 'invalid counts' };
      break;
  }
  return { ok: true, value: o as unknown as HandoverMessage };
}

export interface PackInput {
  peer: string;
  /** Newest first: when a handover is too big, the oldest messages are the ones left out. */
  entries: HandoverEntry[];
}
export interface PackedChunk {
  peer: string;
  entries: HandoverEntry[];
}
export interface PackResult {
  chunks: PackedChunk[];
  conversations: { peer: string; count: number }[];
  left: { id: string; reason: string }[];
}

/** Splits plaintexts into chunks of at most `chunkBytes` of JSON each, one conversation per chunk. */
export function packEntries(input: PackInput[], limits: { entryBytes: number; chunkBytes: number; entries: number; chunks: number } = HANDOVER_LIMITS): PackResult {
  const chunks: PackedChunk[] = [];
  const conversations: { peer: string; count: number }[] = [];
  const left: { id: string; reason: string }[] = [];
  // Room for the envelope around the entries: {"v":1,"type":"chunk","handover":"<uuid>","from":N,"to":N,"seq":N,"peer":"…","entries":[]}
  const envelope = (peer: string) => 140 + utf8Bytes(JSON.stringify(peer));
  let total = 0;
  for (const { peer, entries } of input) {
    let current: PackedChunk | null = null;
    let size = 0;
    let packed = 0;
    for (const entry of entries) {
      if (total >= limits.entries) {
        left.push({ id: entry.id, reason: `more than ${limits.entries} messages in one handover` });
        continue;
      }
      if (utf8Bytes(entry.text) > limits.entryBytes) {
        left.push({ id: entry.id, reason: 'too long to hand over' });
        continue;
      }
      const bytes = utf8Bytes(JSON.stringify({ id: entry.id, text: entry.text })) + 1;
      if (!current || size + bytes > limits.chunkBytes) {
        if (chunks.length >= limits.chunks) {
          left.push({ id: entry.id, reason: `more than ${limits.chunks} parts in one handover` });
          continue;
        }
        current = { peer, entries: [] };
        chunks.push(current);
        size = envelope(peer);
      }
      current.entries.push({ id: entry.id, text: entry.text });
      size += bytes;
      packed++;
      total++;
    }
    if (packed) conversations.push({ peer, count: packed });
  }
  return { chunks, conversations, left };
}

export interface CheckedEntry {
  entry: HandoverEntry;
  row: MessageDTO;
}

/**
 * Checks each entry of a chunk on its own: well-formed, once, naming an encrypted message of that very conversation
 * (`rows`: the server's rows of the conversation by id), text only and within bounds. A bad entry never spoils the others.
 */
export function checkEntries(peer: string, entries: unknown[], rows: ReadonlyMap<string, MessageDTO>): { accepted: CheckedEntry[]; rejected: { id: string; error: string }[] } {
  const accepted: CheckedEntry[] = [];
  const rejected: { id: string; error: string }[] = [];
  const seen = new Set<string>();
  entries.forEach((raw, index) => {
    const label = isObject(raw) && typeof raw.id === 'string' && MESSAGE_ID.test(raw.id) ? raw.id : `#${index + 1}`;
    const reject = (error: string) => rejected.push({ id: label, error });
    if (!isObject(raw)) return reject('not an entry');
    // Only an id and plain text: no markup, no other fields (the text is shown as text in any case).
    const keys = exactKeys(raw, ['id', 'text']);
    if (keys) return reject(keys);
    if (typeof raw.id !== 'string' || !MESSAGE_ID.test(raw.id)) return reject('invalid message id');
    if (typeof raw.text !== 'string') return reject('the text is not a string');
    if (raw.text.length === 0) return reject('empty text');
    if (utf8Bytes(raw.text) > HANDOVER_LIMITS.entryBytes) return reject('text too long');
    if (CONTROL.test(raw.text)) return reject('the text holds control characters');
    const row = rows.get(raw.id);
    if (!row || row.peer !== peer) return reject(`no such message in the conversation with ${peer}`);
    if (row.encrypted === null) return reject('not an encrypted message');
    // The first good entry for a message wins.
    if (seen.has(raw.id)) return reject('listed twice');
    seen.add(raw.id);
    accepted.push({ entry: { id: raw.id, text: raw.text }, row });
  });
  return { accepted, rejected };
}
