/**
 * Multi-User Chat (XEP-0045) with occupant ids (XEP-0421), direct invitations (XEP-0249), message moderation
 * (XEP-0425) and self-ping (XEP-0410). Pure builders and parsers, no I/O. Everything a room sends is untrusted:
 * parsers return null or a typed reason, never throw, cap every length, and read text only (nothing here is HTML).
 */
import { xml, type Element } from '@xmpp/xml';
import { NS } from './ns.js';
import { parseJid } from './jid.js';
import { MAX_BODY_CHARS, stanzaIdBy } from './message.js';
import { parseDataForm, booleanValue, fieldValue, type DataForm } from './data-form.js';
import { isXmlText } from './xml-text.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = `${NS_MUC}#user`;
export const NS_MUC_ADMIN = `${NS_MUC}#admin`;
export const NS_MUC_OWNER = `${NS_MUC}#owner`;
export const NS_MUC_ROOMINFO = `${NS_MUC}#roominfo`;
export const NS_CONFERENCE = 'jabber:x:conference';
export const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';
export const NS_PING = 'urn:xmpp:ping';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
/**
 * XEP-0425 comes in two shapes. v0 (XEP-0425 0.2): `<apply-to xmlns='urn:xmpp:fasten:0' id=…><moderate
 * xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/>` — the one Prosody 0.12's
 * mod_muc_moderation speaks (Debian prosody-modules, source read on this machine; proven in muc-protocol.test.ts).
 * ejabberd 23.01 as installed here has no moderation at all: its p1_xmpp 1.6.1 carries no XEP-0425 (nor XEP-0421)
 * codec, and its rooms announce neither namespace; later ejabberd releases implement 0.2.1 (processone/ejabberd#4193).
 * v1 (XEP-0425 0.3): `<moderate xmlns='urn:xmpp:message-moderate:1' id=…><retract xmlns='urn:xmpp:message-retract:1'/>`,
 * newer servers. The room's disco#info says which, and no feature means no moderation to offer.
 */
export const NS_MODERATE_0 = 'urn:xmpp:message-moderate:0';
export const NS_MODERATE_1 = 'urn:xmpp:message-moderate:1';
export const NS_FASTEN = NS.fasten;
export const NS_RETRACT_0 = NS.retract0;
export const NS_RETRACT_1 = NS.retract;

const MAX_NICK = 1023;
const MAX_TEXT = 1024;
const MAX_ID = 256;
/** A room subject: XEP-0045 sets no bound; this one keeps a hostile room from sending megabytes of it. */
export const MAX_SUBJECT_CHARS = 4096;

function shortAttr(v: unknown, max = MAX_ID): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

/** Text a room sent, with control characters (but newlines and tabs) removed and capped. */
function cleanText(s: string | null | undefined, max = MAX_TEXT): string | null {
  if (s === null || s === undefined) return null;
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').slice(0, max);
}

/** A nickname is the resourcepart of the occupant JID: non-empty, bounded, no controls (RFC 7622 forbids them). */
export function validNick(nick: string): boolean {
  return nick.length > 0 && nick.length <= MAX_NICK && nick.trim().length > 0 && !/[\u0000-\u001f\u007f]/.test(nick) && isXmlText(nick);
}

/** Optional texts a builder writes (password, reason, body, subject): all must be writable XML. */
function writable(...texts: (string | undefined)[]): boolean {
  return texts.every((t) => t === undefined || isXmlText(t));
}

/** A room JID: local@domain, no resource. */
function roomJid(raw: string): string | null {
  const j = parseJid(raw);
  return j && j.local && !j.resource ? j.bare : null;
}

function errorCondition(el: Element): { condition: string; type: string | null; text: string | null } {
  const error = el.getChild('error');
  const condition = error?.getChildElements().find((c) => c.getNS() === NS.stanzas && c.name !== 'text')?.name ?? 'undefined-condition';
  const raw = cleanText(error?.getChildText('text', NS.stanzas), 200)?.trim();
  return { condition, type: typeof error?.attrs.type === 'string' ? error.attrs.type : null, text: raw || null };
}

// ---------------------------------------------------------------------------------------------------------------
// Joining, leaving, nickname changes (XEP-0045 §7.2, §7.6, §7.14)

export type JoinHistory =
  /** The room's archive (XEP-0313) will be queried instead: ask for no history (§7.2.13: maxchars='0'). */
  | { kind: 'none' }
  | { kind: 'since'; since: Date; maxstanzas?: number }
  | { kind: 'maxstanzas'; maxstanzas: number };

export interface JoinRequest {
  room: string;
  nick: string;
  password?: string;
  history?: JoinHistory;
  /** Our presence (show, status, caps) to carry along. */
  extra?: Element[];
}

export function buildJoin(j: JoinRequest): Element | null {
  const room = roomJid(j.room);
  if (!room || !validNick(j.nick) || !writable(j.password)) return null;
  const x: Element[] = [];
  const h = j.history;
  if (h?.kind === 'none') x.push(xml('history', { maxchars: '0' }));
  else if (h?.kind === 'since') {
    const attrs: Record<string, string> = { since: h.since.toISOString() };
    if (h.maxstanzas !== undefined) attrs.maxstanzas = String(Math.max(0, Math.floor(h.maxstanzas)));
    x.push(xml('history', attrs));
  } else if (h?.kind === 'maxstanzas') x.push(xml('history', { maxstanzas: String(Math.max(0, Math.floor(h.maxstanzas))) }));
  if (j.password !== undefined) x.push(xml('password', {}, j.password));
  return xml('presence', { to: `${room}/${j.nick}` }, xml('x', { xmlns: NS_MUC }, ...x), ...(j.extra ?? []));
}

export function buildLeave(room: string, nick: string, status?: string): Element | null {
  const r = roomJid(room);
  if (!r || !validNick(nick) || !writable(status)) return null;
  return xml('presence', { to: `${r}/${nick}`, type: 'unavailable' }, ...(status ? [xml('status', {}, status)] : []));
}

/** §7.6: a presence to the new occupant JID, without the MUC `<x/>` (that would be a new join). */
export function buildNickChange(room: string, newNick: string): Element | null {
  const r = roomJid(room);
  if (!r || !validNick(newNick)) return null;
  return xml('presence', { to: `${r}/${newNick}` });
}

// ---------------------------------------------------------------------------------------------------------------
// Occupant presence (§7.2.3 – §7.2.7, §9, §10.9)

export const AFFILIATIONS = ['owner', 'admin', 'member', 'outcast', 'none'] as const;
export const ROLES = ['moderator', 'participant', 'visitor', 'none'] as const;
export type Affiliation = (typeof AFFILIATIONS)[number];
export type Role = (typeof ROLES)[number];
const AFF = new Set<string>(AFFILIATIONS);
const ROLE = new Set<string>(ROLES);

/** The status codes Parley acts on (XEP-0045 §15.6.2); others are kept as numbers in `codes`. */
export const STATUS = {
  nonAnonymous: 100,
  self: 110,
  loggingOn: 170,
  loggingOff: 171,
  created: 201,
  nickAssigned: 210,
  banned: 301,
  nickChanged: 303,
  kicked: 307,
  removedAffiliation: 321,
  removedMembersOnly: 322,
  removedShutdown: 332,
} as const;

export interface Occupant {
  room: string;
  nick: string;
  available: boolean;
  affiliation: Affiliation;
  role: Role;
  /** The real bare or full JID when the room shows it (non-anonymous, or we moderate). Untrusted claim by the room. */
  jid: string | null;
  show: 'available' | 'away' | 'chat' | 'dnd' | 'xa';
  status: string | null;
  /** XEP-0421: stable per occupant and room, set by the room (only meaningful if the room announces the feature). */
  occupantId: string | null;
}

export type LeaveReason = 'left' | 'kicked' | 'banned' | 'nick-changed' | 'affiliation-changed' | 'members-only' | 'shutdown' | 'destroyed';

export interface OccupantPresence {
  kind: 'occupant';
  occupant: Occupant;
  /** Status 110: this presence is about us. */
  self: boolean;
  codes: number[];
  created: boolean;
  nonAnonymous: boolean;
  /** Status 210: the service changed the nick we asked for (the presence's nick is the one to use). */
  nickAssigned: boolean;
  /** 170/171: the room starts/stops logging; null when neither. */
  logging: boolean | null;
  /** For unavailable presence: why the occupant is gone. */
  leave: LeaveReason | null;
  /** Status 303: the nick the occupant now has. */
  newNick: string | null;
  /** Who kicked/banned (nick) and why, when the room says. */
  actor: string | null;
  reason: string | null;
  /** The room was destroyed (§10.9); `alternate` is the venue it points to. */
  destroy: { alternate: string | null; reason: string | null } | null;
}

/** Why a join (or a later presence) came back as an error, in words the UI can act on (§7.2.6 – §7.2.11). */
export type JoinErrorReason =
  | 'nickname-in-use'
  | 'password-required'
  | 'members-only'
  | 'banned'
  | 'room-not-found'
  | 'creation-refused'
  | 'room-full'
  | 'nickname-invalid'
  | 'other';

export interface MucPresenceError {
  kind: 'error';
  room: string;
  nick: string;
  reason: JoinErrorReason;
  condition: string;
  text: string | null;
}

export function joinErrorReason(condition: string): JoinErrorReason {
  switch (condition) {
    case 'conflict': return 'nickname-in-use';
    case 'not-authorized': return 'password-required';
    case 'registration-required': return 'members-only';
    case 'forbidden': return 'banned';
    case 'item-not-found': return 'room-not-found';
    case 'not-allowed': return 'creation-refused';
    case 'service-unavailable': return 'room-full';
    case 'jid-malformed':
    case 'not-acceptable': return 'nickname-invalid';
    default: return 'other';
  }
}

function statusCodes(x: Element): number[] {
  const codes: number[] = [];
  for (const s of x.getChildren('status').slice(0, 32)) {
    const c = typeof s.attrs.code === 'string' && /^\d{3}$/.test(s.attrs.code) ? Number(s.attrs.code) : null;
    if (c !== null && !codes.includes(c)) codes.push(c);
  }
  return codes;
}

const SHOWS = new Set(['away', 'chat', 'dnd', 'xa']);

/**
 * Parses a presence from an occupant JID (room@service/nick). A presence without its muc#user element is not an
 * occupant presence (null): the room always adds one, so its absence means it came from elsewhere. Errors from the
 * room become a typed MucPresenceError.
 */
export function parseOccupantPresence(el: Element): OccupantPresence | MucPresenceError | null {
  if (el.name !== 'presence') return null;
  const from = parseJid(el.attrs.from);
  if (!from || !from.local) return null;
  const type = el.attrs.type ? String(el.attrs.type) : 'available';
  if (type === 'error') {
    // Usually from the occupant JID we asked for; some services answer from the room's bare JID (nick '').
    if (from.resource && !validNick(from.resource)) return null;
    const e = errorCondition(el);
    return { kind: 'error', room: from.bare, nick: from.resource, reason: joinErrorReason(e.condition), condition: e.condition, text: e.text };
  }
  if (!validNick(from.resource)) return null;
  if (type !== 'available' && type !== 'unavailable') return null;
  const x = el.getChild('x', NS_MUC_USER);
  const item = x?.getChild('item');
  if (!x || !item) return null;
  const affiliation = String(item.attrs.affiliation ?? '');
  const role = String(item.attrs.role ?? '');
  if (!AFF.has(affiliation) || !ROLE.has(role)) return null;
  const codes = statusCodes(x);
  const has = (c: number) => codes.includes(c);
  const available = type === 'available';
  const jid = typeof item.attrs.jid === 'string' && parseJid(item.attrs.jid) ? item.attrs.jid : null;
  const rawNewNick = typeof item.attrs.nick === 'string' ? item.attrs.nick : null;
  const newNick = !available && has(STATUS.nickChanged) && rawNewNick && validNick(rawNewNick) ? rawNewNick : null;
  const destroyEl = x.getChild('destroy');
  const destroy = destroyEl
    ? { alternate: typeof destroyEl.attrs.jid === 'string' ? roomJid(destroyEl.attrs.jid) : null, reason: cleanText(destroyEl.getChildText('reason')) }
    : null;
  let leave: LeaveReason | null = null;
  if (!available) {
    if (destroy) leave = 'destroyed';
    else if (has(STATUS.banned)) leave = 'banned';
    else if (has(STATUS.kicked)) leave = 'kicked';
    else if (has(STATUS.nickChanged) && newNick) leave = 'nick-changed';
    else if (has(STATUS.removedAffiliation)) leave = 'affiliation-changed';
    else if (has(STATUS.removedMembersOnly)) leave = 'members-only';
    else if (has(STATUS.removedShutdown)) leave = 'shutdown';
    else leave = 'left';
  }
  const actor = item.getChild('actor');
  const show = el.getChildText('show');
  const occupantIdEl = el.getChild('occupant-id', NS_OCCUPANT_ID);
  return {
    kind: 'occupant',
    occupant: {
      room: from.bare,
      nick: from.resource,
      available,
      affiliation: affiliation as Affiliation,
      role: role as Role,
      jid,
      show: show && SHOWS.has(show) ? (show as Occupant['show']) : 'available',
      status: cleanText(el.getChildText('status')),
      occupantId: shortAttr(occupantIdEl?.attrs.id),
    },
    self: has(STATUS.self),
    codes,
    created: has(STATUS.created),
    nonAnonymous: has(STATUS.nonAnonymous),
    nickAssigned: has(STATUS.nickAssigned),
    logging: has(STATUS.loggingOn) ? true : has(STATUS.loggingOff) ? false : null,
    leave,
    newNick,
    actor: shortAttr(actor?.attrs.nick, MAX_NICK),
    reason: cleanText(item.getChildText('reason')),
    destroy,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Room messages (§7.4, §8.1), private messages (§7.5)

export interface GroupchatMessage {
  room: string;
  /** null: a message from the room itself (its bare JID), e.g. a subject set by the service. */
  nick: string | null;
  messageId: string | null;
  originId: string | null;
  /** Only a stanza-id stamped by the room (by = room JID) identifies it in the room's archive (XEP-0359, XEP-0313 §6.1). */
  stanzaId: string | null;
  occupantId: string | null;
  body: string | null;
  /** §8.1: a message with <subject> and no <body> changes the subject ('' clears it). */
  subject: string | null;
  /** A delay the room added (from = room JID), as on discussion history (§7.2.15). */
  delay: Date | null;
  encrypted: string | null;
}

const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** The XEP-0203 delay written by `by` (the room), not one a sender added. */
function roomDelay(el: Element, room: string, now: Date): Date | null {
  const d = el.getChildren('delay', NS.delay).find((x) => String(x.attrs.from ?? '').toLowerCase() === room);
  const t = typeof d?.attrs.stamp === 'string' ? Date.parse(d.attrs.stamp) : Number.NaN;
  return Number.isFinite(t) && t <= now.getTime() + FUTURE_TOLERANCE_MS ? new Date(t) : null;
}

/** Parses a type='groupchat' message from a room. Null for anything else or anything malformed. */
export function parseGroupchat(el: Element, now = new Date()): GroupchatMessage | null {
  if (el.name !== 'message' || el.attrs.type !== 'groupchat') return null;
  const from = parseJid(el.attrs.from);
  if (!from || !from.local) return null;
  if (from.resource && !validNick(from.resource)) return null;
  const rawBody = el.getChildText('body');
  const subjectEl = el.getChild('subject');
  const encryptedEl = el.getChild('encrypted', NS.omemo);
  if (rawBody === null && !subjectEl && !encryptedEl) return null;
  return {
    room: from.bare,
    nick: from.resource || null,
    messageId: shortAttr(el.attrs.id),
    originId: shortAttr(el.getChild('origin-id', NS.sid)?.attrs.id),
    stanzaId: stanzaIdBy(el, from.bare),
    occupantId: shortAttr(el.getChild('occupant-id', NS_OCCUPANT_ID)?.attrs.id),
    body: rawBody === null ? null : rawBody.slice(0, MAX_BODY_CHARS),
    subject: subjectEl ? cleanText(subjectEl.getText(), MAX_SUBJECT_CHARS) : null,
    delay: roomDelay(el, from.bare, now),
    encrypted: encryptedEl ? encryptedEl.toString() : null,
  };
}

export function buildGroupchat(room: string, id: string, body: string, extra: Element[] = []): Element | null {
  const r = roomJid(room);
  if (!r || !writable(body, id)) return null;
  return xml('message', { to: r, type: 'groupchat', id }, xml('body', {}, body), xml('origin-id', { xmlns: NS.sid, id }), ...extra);
}

export function buildSubjectChange(room: string, subject: string): Element | null {
  const r = roomJid(room);
  return r && writable(subject) ? xml('message', { to: r, type: 'groupchat' }, xml('subject', {}, subject)) : null;
}

/**
 * A private message through the room (§7.5): type chat (or normal) from room@service/nick with an empty muc#user
 * `<x/>`. `knownRoom` says whether its bare JID is a room we are in: a stranger's full JID with the element is still
 * not a MUC-PM, and a room's occupant JID without it is still one (older servers omit the element) — the room set
 * decides; the element only helps when we do not know.
 */
export function mucPmOf(el: Element, knownRoom: (bare: string) => boolean): { room: string; nick: string; marked: boolean } | null {
  if (el.name !== 'message') return null;
  const type = el.attrs.type ? String(el.attrs.type) : 'normal';
  if (type !== 'chat' && type !== 'normal') return null;
  const from = parseJid(el.attrs.from);
  if (!from || !from.local || !validNick(from.resource)) return null;
  if (!knownRoom(from.bare)) return null;
  const x = el.getChild('x', NS_MUC_USER);
  if (x?.getChild('invite') || x?.getChild('decline')) return null;
  return { room: from.bare, nick: from.resource, marked: !!x };
}

export function buildMucPm(room: string, nick: string, id: string, body: string): Element | null {
  const r = roomJid(room);
  if (!r || !validNick(nick) || !writable(body, id)) return null;
  return xml('message', { to: `${r}/${nick}`, type: 'chat', id }, xml('body', {}, body), xml('x', { xmlns: NS_MUC_USER }), xml('origin-id', { xmlns: NS.sid, id }));
}

// ---------------------------------------------------------------------------------------------------------------
// Invitations: direct (XEP-0249) and mediated (§7.8.2), declines (§7.8.2 end)

export interface Invitation {
  kind: 'direct' | 'mediated';
  room: string;
  /** Who invites: the sender for direct ones; the `from` inside `<invite>` for mediated ones (as the room relays it). */
  inviter: string;
  reason: string | null;
  password: string | null;
  /** XEP-0249 `continue`/`thread`: a one-to-one chat turned into a room. */
  continueThread: string | null;
}

export function buildDirectInvite(to: string, room: string, opts: { reason?: string; password?: string } = {}): Element | null {
  const r = roomJid(room);
  if (!r || !parseJid(to) || !writable(opts.reason, opts.password)) return null;
  const attrs: Record<string, string> = { xmlns: NS_CONFERENCE, jid: r };
  if (opts.reason) attrs.reason = opts.reason;
  if (opts.password) attrs.password = opts.password;
  return xml('message', { to }, xml('x', attrs));
}

export function buildMediatedInvite(room: string, invitee: string, reason?: string): Element | null {
  const r = roomJid(room);
  if (!r || !parseJid(invitee) || !writable(reason)) return null;
  return xml('message', { to: r }, xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: invitee }, ...(reason ? [xml('reason', {}, reason)] : []))));
}

export function buildDecline(room: string, inviter: string, reason?: string): Element | null {
  const r = roomJid(room);
  if (!r || !parseJid(inviter) || !writable(reason)) return null;
  return xml('message', { to: r }, xml('x', { xmlns: NS_MUC_USER }, xml('decline', { to: inviter }, ...(reason ? [xml('reason', {}, reason)] : []))));
}

/** Reads an invitation of either kind; mediated ones only when the message comes from the room's bare JID. */
export function parseInvitation(el: Element): Invitation | null {
  if (el.name !== 'message' || el.attrs.type === 'error' || el.attrs.type === 'groupchat') return null;
  const from = parseJid(el.attrs.from);
  if (!from) return null;
  const mediated = el.getChild('x', NS_MUC_USER)?.getChild('invite');
  if (mediated) {
    if (!from.local || from.resource) return null;
    const inviter = typeof mediated.attrs.from === 'string' ? parseJid(mediated.attrs.from) : null;
    if (!inviter) return null;
    return {
      kind: 'mediated',
      room: from.bare,
      inviter: inviter.bare,
      reason: cleanText(mediated.getChildText('reason')),
      password: cleanText(el.getChild('x', NS_MUC_USER)?.getChildText('password'), MAX_ID),
      continueThread: null,
    };
  }
  const direct = el.getChild('x', NS_CONFERENCE);
  if (direct) {
    const room = typeof direct.attrs.jid === 'string' ? roomJid(direct.attrs.jid) : null;
    if (!room) return null;
    const cont = direct.attrs.continue === 'true' || direct.attrs.continue === '1';
    return {
      kind: 'direct',
      room,
      inviter: from.bare,
      reason: cleanText(direct.attrs.reason as string | undefined),
      password: cleanText(direct.attrs.password as string | undefined, MAX_ID),
      continueThread: cont ? shortAttr(direct.attrs.thread) ?? '' : null,
    };
  }
  return null;
}

/** A decline relayed by the room to us, the inviter. */
export function parseDecline(el: Element): { room: string; invitee: string; reason: string | null } | null {
  if (el.name !== 'message') return null;
  const from = parseJid(el.attrs.from);
  const decline = el.getChild('x', NS_MUC_USER)?.getChild('decline');
  if (!from || !from.local || from.resource || !decline) return null;
  const invitee = typeof decline.attrs.from === 'string' ? parseJid(decline.attrs.from) : null;
  if (!invitee) return null;
  return { room: from.bare, invitee: invitee.bare, reason: cleanText(decline.getChildText('reason')) };
}

// ---------------------------------------------------------------------------------------------------------------
// Moderation: roles and affiliations (§8.2 – §8.6, §9, §10.3 – §10.8)

export type AdminChange =
  | { kind: 'role'; nick: string; role: Role; reason?: string }
  | { kind: 'affiliation'; jid: string; affiliation: Affiliation; reason?: string };

/** The usual commands, as the XEP names them. */
export const admin = {
  kick: (nick: string, reason?: string): AdminChange => ({ kind: 'role', nick, role: 'none', reason }),
  voice: (nick: string, reason?: string): AdminChange => ({ kind: 'role', nick, role: 'participant', reason }),
  revokeVoice: (nick: string, reason?: string): AdminChange => ({ kind: 'role', nick, role: 'visitor', reason }),
  moderator: (nick: string, reason?: string): AdminChange => ({ kind: 'role', nick, role: 'moderator', reason }),
  ban: (jid: string, reason?: string): AdminChange => ({ kind: 'affiliation', jid, affiliation: 'outcast', reason }),
  member: (jid: string, reason?: string): AdminChange => ({ kind: 'affiliation', jid, affiliation: 'member', reason }),
  admin: (jid: string, reason?: string): AdminChange => ({ kind: 'affiliation', jid, affiliation: 'admin', reason }),
  owner: (jid: string, reason?: string): AdminChange => ({ kind: 'affiliation', jid, affiliation: 'owner', reason }),
  none: (jid: string, reason?: string): AdminChange => ({ kind: 'affiliation', jid, affiliation: 'none', reason }),
};

export function buildAdminGet(room: string, by: { affiliation: Affiliation } | { role: Role }): Element | null {
  const r = roomJid(room);
  if (!r) return null;
  return xml('iq', { type: 'get', to: r }, xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { ...by })));
}

export function buildAdminSet(room: string, changes: AdminChange[]): Element | null {
  const r = roomJid(room);
  if (!r || changes.length === 0) return null;
  const items: Element[] = [];
  for (const c of changes) {
    if (!writable(c.reason)) return null;
    const reason = c.reason ? [xml('reason', {}, c.reason)] : [];
    if (c.kind === 'role') {
      if (!validNick(c.nick)) return null;
      items.push(xml('item', { nick: c.nick, role: c.role }, ...reason));
    } else {
      const j = parseJid(c.jid);
      if (!j) return null;
      items.push(xml('item', { jid: j.bare, affiliation: c.affiliation }, ...reason));
    }
  }
  return xml('iq', { type: 'set', to: r }, xml('query', { xmlns: NS_MUC_ADMIN }, ...items));
}

export interface AdminItem {
  jid: string | null;
  nick: string | null;
  affiliation: Affiliation | null;
  role: Role | null;
  reason: string | null;
}

/** The items of a muc#admin result (at most `max`: a room listing more members is cut, and says so). */
export function parseAdminItems(iq: Element, max = 10_000): { items: AdminItem[]; truncated: boolean } | null {
  const query = iq.getChild('query', NS_MUC_ADMIN);
  if (iq.attrs.type !== 'result' || !query) return null;
  const all = query.getChildren('item');
  const items: AdminItem[] = [];
  for (const it of all.slice(0, max)) {
    const jid = typeof it.attrs.jid === 'string' && parseJid(it.attrs.jid) ? parseJid(it.attrs.jid)!.bare : null;
    const nick = typeof it.attrs.nick === 'string' && validNick(it.attrs.nick) ? it.attrs.nick : null;
    const aff = typeof it.attrs.affiliation === 'string' && AFF.has(it.attrs.affiliation) ? (it.attrs.affiliation as Affiliation) : null;
    const role = typeof it.attrs.role === 'string' && ROLE.has(it.attrs.role) ? (it.attrs.role as Role) : null;
    if (!jid && !nick) continue;
    items.push({ jid, nick, affiliation: aff, role, reason: cleanText(it.getChildText('reason')) });
  }
  return { items, truncated: all.length > max };
}

// ---------------------------------------------------------------------------------------------------------------
// Owner: configuration, instant rooms, destruction (§10)

export function buildConfigGet(room: string): Element | null {
  const r = roomJid(room);
  return r ? xml('iq', { type: 'get', to: r }, xml('query', { xmlns: NS_MUC_OWNER })) : null;
}

/** The configuration form of a muc#owner result (or a typed form error). */
export function parseConfigForm(iq: Element): ReturnType<typeof parseDataForm> {
  return parseDataForm(iq.getChild('query', NS_MUC_OWNER));
}

/** Submits a form built with `buildSubmitForm` (or `buildCancelForm` to leave a new room locked as it is). */
export function buildConfigSubmit(room: string, form: Element): Element | null {
  const r = roomJid(room);
  return r ? xml('iq', { type: 'set', to: r }, xml('query', { xmlns: NS_MUC_OWNER }, form)) : null;
}

/** §10.1.2: accept the default configuration and unlock the room at once. */
export function buildInstantRoom(room: string): Element | null {
  return buildConfigSubmit(room, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }));
}

export function buildDestroy(room: string, opts: { alternate?: string; reason?: string; password?: string } = {}): Element | null {
  const r = roomJid(room);
  if (!r) return null;
  const alt = opts.alternate !== undefined ? roomJid(opts.alternate) : undefined;
  if (alt === null || !writable(opts.reason, opts.password)) return null;
  const children: Element[] = [];
  if (opts.reason) children.push(xml('reason', {}, opts.reason));
  if (opts.password) children.push(xml('password', {}, opts.password));
  return xml('iq', { type: 'set', to: r }, xml('query', { xmlns: NS_MUC_OWNER }, xml('destroy', alt ? { jid: alt } : {}, ...children)));
}

/** Why an admin/owner iq was refused (§8, §10: forbidden = not allowed to, not-acceptable = e.g. removing the last owner). */
export function parseIqError(iq: Element): { condition: string; text: string | null } | null {
  if (iq.attrs.type !== 'error') return null;
  const e = errorCondition(iq);
  return { condition: e.condition, text: e.text };
}

// ---------------------------------------------------------------------------------------------------------------
// XEP-0425 message moderation

export type ModerationVersion = 0 | 1;

/** Which XEP-0425 version a room's disco#info features announce (the newer one wins), or null. */
export function moderationVersion(features: readonly string[]): ModerationVersion | null {
  if (features.includes(NS_MODERATE_1)) return 1;
  if (features.includes(NS_MODERATE_0)) return 0;
  return null;
}

/** A moderator asks the room to retract the message with the room's stanza-id `stanzaId`. */
export function buildModerate(room: string, stanzaId: string, version: ModerationVersion, reason?: string): Element | null {
  const r = roomJid(room);
  if (!r || !shortAttr(stanzaId) || !writable(stanzaId, reason)) return null;
  const why = reason ? [xml('reason', {}, reason)] : [];
  const body =
    version === 0
      ? xml('apply-to', { xmlns: NS_FASTEN, id: stanzaId }, xml('moderate', { xmlns: NS_MODERATE_0 }, xml('retract', { xmlns: NS_RETRACT_0 }), ...why))
      : xml('moderate', { xmlns: NS_MODERATE_1, id: stanzaId }, xml('retract', { xmlns: NS_RETRACT_1 }), ...why);
  return xml('iq', { type: 'set', to: r }, body);
}

export interface Moderation {
  room: string;
  /** The room's stanza-id of the retracted message. */
  stanzaId: string;
  /** The moderator's occupant JID or real JID, as the room states it. */
  by: string | null;
  reason: string | null;
}

/** The room's announcement that a message was moderated (both versions); only from the room's bare JID. */
export function parseModeration(el: Element): Moderation | null {
  if (el.name !== 'message' || el.attrs.type !== 'groupchat') return null;
  const from = parseJid(el.attrs.from);
  if (!from || !from.local || from.resource) return null;
  const v0 = el.getChild('apply-to', NS_FASTEN);
  const m0 = v0?.getChild('moderated', NS_MODERATE_0);
  if (v0 && m0 && m0.getChild('retract', NS_RETRACT_0) !== undefined) {
    const id = shortAttr(v0.attrs.id);
    return id ? { room: from.bare, stanzaId: id, by: shortAttr(m0.attrs.by, 3071), reason: cleanText(m0.getChildText('reason')) } : null;
  }
  // v1: <retract xmlns='urn:xmpp:message-retract:1' id=…><moderated xmlns='urn:xmpp:message-moderate:1' by=…/><reason/></retract>
  const r1 = el.getChild('retract', NS_RETRACT_1);
  const m1 = r1?.getChild('moderated', NS_MODERATE_1);
  if (r1 && m1) {
    const id = shortAttr(r1.attrs.id);
    return id ? { room: from.bare, stanzaId: id, by: shortAttr(m1.attrs.by, 3071), reason: cleanText(r1.getChildText('reason')) } : null;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// XEP-0410 self-ping

export function buildSelfPing(room: string, nick: string): Element | null {
  const r = roomJid(room);
  if (!r || !validNick(nick)) return null;
  return xml('iq', { type: 'get', to: `${r}/${nick}` }, xml('ping', { xmlns: NS_PING }));
}

/**
 * XEP-0410 §3.2: a result, or the errors service-unavailable / feature-not-implemented (our own client does not
 * answer pings, the room forwarded it: we are joined) and item-not-found (joined, our nick just changed from another
 * client) mean "still joined"; remote-server-not-found / remote-server-timeout say nothing (try later); any other
 * error (not-acceptable above all) means we are no longer an occupant and must rejoin. No answer at all: unknown.
 */
export type SelfPingVerdict = 'joined' | 'not-joined' | 'unknown';

export function parseSelfPingAnswer(iq: Element | null): SelfPingVerdict {
  if (!iq || iq.name !== 'iq') return 'unknown';
  if (iq.attrs.type === 'result') return 'joined';
  if (iq.attrs.type !== 'error') return 'unknown';
  switch (errorCondition(iq).condition) {
    case 'service-unavailable':
    case 'feature-not-implemented':
    case 'item-not-found':
      return 'joined';
    case 'remote-server-not-found':
    case 'remote-server-timeout':
      return 'unknown';
    default:
      return 'not-joined';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Discovery: the MUC service among the server's items, and a room's info (§6)

export interface DiscoInfo {
  identities: { category: string; type: string; name: string | null }[];
  features: string[];
  forms: DataForm[];
}

export function buildDiscoInfoGet(to: string): Element {
  return xml('iq', { type: 'get', to }, xml('query', { xmlns: NS_DISCO_INFO }));
}

export function buildDiscoItemsGet(to: string): Element {
  return xml('iq', { type: 'get', to }, xml('query', { xmlns: NS_DISCO_ITEMS }));
}

/** A disco#info result, bounded (a service listing thousands of features is cut, not followed). */
export function parseDiscoInfo(iq: Element): DiscoInfo | null {
  const q = iq.getChild('query', NS_DISCO_INFO);
  if (iq.attrs.type !== 'result' || !q) return null;
  const identities = q.getChildren('identity').slice(0, 32).flatMap((i) =>
    typeof i.attrs.category === 'string' && typeof i.attrs.type === 'string'
      ? [{ category: i.attrs.category.slice(0, 64), type: i.attrs.type.slice(0, 64), name: cleanText(i.attrs.name as string | undefined, 256) }]
      : [],
  );
  const features = q.getChildren('feature').slice(0, 1000).flatMap((f) => (shortAttr(f.attrs.var, 512) ? [f.attrs.var as string] : []));
  const forms = q.getChildren('x', 'jabber:x:data').slice(0, 8).flatMap((x) => {
    const p = parseDataForm(x);
    return p.ok ? [p.form] : [];
  });
  return { identities, features: [...new Set(features)], forms };
}

export interface DiscoItem {
  jid: string;
  name: string | null;
  node: string | null;
}

export function parseDiscoItems(iq: Element, max = 1000): { items: DiscoItem[]; truncated: boolean } | null {
  const q = iq.getChild('query', NS_DISCO_ITEMS);
  if (iq.attrs.type !== 'result' || !q) return null;
  const all = q.getChildren('item');
  const items = all.slice(0, max).flatMap((i) => {
    const jid = typeof i.attrs.jid === 'string' ? parseJid(i.attrs.jid) : null;
    if (!jid) return [];
    return [{ jid: i.attrs.jid as string, name: cleanText(i.attrs.name as string | undefined, 256), node: shortAttr(i.attrs.node, 512) }];
  });
  return { items, truncated: all.length > max };
}

/** §6.2: a MUC service says identity conference/text and the MUC feature. */
export function isMucService(info: DiscoInfo): boolean {
  return info.identities.some((i) => i.category === 'conference' && i.type === 'text') && info.features.includes(NS_MUC);
}

export interface RoomInfo {
  name: string | null;
  membersOnly: boolean;
  nonAnonymous: boolean;
  persistent: boolean;
  passwordProtected: boolean;
  /** muc_public (listed) vs muc_hidden; null when the room says neither. */
  isPublic: boolean | null;
  /** muc_open vs muc_membersonly: `membersOnly` is the one to act on. */
  moderated: boolean;
  mam: boolean;
  moderation: ModerationVersion | null;
  occupantIds: boolean;
  description: string | null;
  subject: string | null;
  occupants: number | null;
  /** XEP-0045 §6.4 muc#roominfo_lang, contact JIDs, logs URL etc. are left in `form` for whoever needs them. */
  form: DataForm | null;
}

/** A room's disco#info (§6.4), or null when it is not a room (no conference identity or no MUC feature). */
export function parseRoomInfo(iq: Element): RoomInfo | null {
  const info = parseDiscoInfo(iq);
  if (!info || !info.identities.some((i) => i.category === 'conference') || !info.features.includes(NS_MUC)) return null;
  const f = new Set(info.features);
  const form = info.forms.find((x) => x.formType === NS_MUC_ROOMINFO) ?? null;
  const occ = form ? fieldValue(form, 'muc#roominfo_occupants') : null;
  const occupants = occ !== null && /^\d{1,9}$/.test(occ.trim()) ? Number(occ.trim()) : null;
  const roomName = form ? fieldValue(form, 'muc#roomconfig_roomname') : null;
  return {
    name: cleanText(roomName || info.identities.find((i) => i.category === 'conference')?.name, 256) || null,
    membersOnly: f.has('muc_membersonly'),
    nonAnonymous: f.has('muc_nonanonymous'),
    persistent: f.has('muc_persistent'),
    passwordProtected: f.has('muc_passwordprotected'),
    isPublic: f.has('muc_public') ? true : f.has('muc_hidden') ? false : null,
    moderated: f.has('muc_moderated'),
    mam: f.has(NS.mam),
    moderation: moderationVersion(info.features),
    occupantIds: f.has(NS_OCCUPANT_ID),
    description: form ? cleanText(fieldValue(form, 'muc#roominfo_description'), MAX_SUBJECT_CHARS) : null,
    subject: form ? cleanText(fieldValue(form, 'muc#roominfo_subject'), MAX_SUBJECT_CHARS) : null,
    occupants,
    form,
  };
}

/** Whether a room allows OMEMO per issue 11: members-only and non-anonymous (real JIDs are needed to find devices). */
export function roomAllowsOmemo(info: RoomInfo): boolean {
  return info.membersOnly && info.nonAnonymous;
}

/** Re-exported for callers reading room config forms. */
export { booleanValue };
