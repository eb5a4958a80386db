/**
 * What the "new group chat" dialog sends: the room's address from its name (editable), the preset, and for a private
 * group the members to invite. Pure, so the address rules and the checks are unit-tested.
 */
import { isBareUserJid, isLocalPart, splitJids } from './jid.js';

/** Conversations' two presets: 'group' = private group (members-only, non-anonymous, persistent), 'channel' = public. */
export type Preset = 'group' | 'channel';

export const MAX_MEMBERS = 100;
const MAX_LOCAL = 64;

/** A readable local part from the room's name: lower case, spaces become dashes, what an address cannot carry is dropped. */
export function localPartFromName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/["&'/:<>@]/g, '')
    .trim()
    .replace(/[\s_]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, MAX_LOCAL);
}

export interface CreateInput {
  preset: Preset;
  name: string;
  localPart: string;
  service: string;
  nick: string;
  /** Addresses typed for a private group, separated by commas, spaces or lines. */
  members: string;
  /** Our own address: not invited to our own room. */
  own: string;
}

export type CreateProblem = 'address' | 'service' | 'member' | 'too-many-members' | 'nick';

export interface CreatePayload {
  room: string;
  preset: Preset;
  name?: string;
  nick?: string;
  members: string[];
}

export type CreateCheck = { ok: true; payload: CreatePayload } | { ok: false; problem: CreateProblem; detail?: string };

export function checkCreate(input: CreateInput): CreateCheck {
  const local = input.localPart.trim().toLowerCase();
  const service = input.service.trim().toLowerCase();
  if (!isLocalPart(local)) return { ok: false, problem: 'address' };
  if (service === '' || !isBareUserJid(`${local}@${service}`)) return { ok: false, problem: service === '' ? 'service' : 'address' };
  const nick = input.nick.trim();
  if (nick.length > 256) return { ok: false, problem: 'nick' };
  const members: string[] = [];
  if (input.preset === 'group') {
    for (const raw of splitJids(input.members)) {
      const jid = raw.toLowerCase();
      if (!isBareUserJid(jid)) return { ok: false, problem: 'member', detail: raw.slice(0, 200) };
      if (jid !== input.own && !members.includes(jid)) members.push(jid);
    }
    if (members.length > MAX_MEMBERS) return { ok: false, problem: 'too-many-members' };
  }
  const name = input.name.trim().slice(0, 200);
  return {
    ok: true,
    payload: { room: `${local}@${service}`, preset: input.preset, members, ...(name ? { name } : {}), ...(nick ? { nick } : {}) },
  };
}
