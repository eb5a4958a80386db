/**
 * Whether to encrypt a conversation. A contact: the user's choice if they made one, else on whenever the contact has
 * OMEMO devices. A room: never where the room refuses OMEMO (anonymous or open rooms: `RoomDTO.omemo.reason` says
 * why, shown as text); in a private group the user's choice, else on when every member has devices (as Conversations).
 */
import { useEffect, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import type { RoomDTO } from '../../../server/realtime/contract/rooms.js';
import { omemo, type OmemoService } from '../../app/omemo-loader.js';
import { omemoSettled } from '../../state/tab.js';

const ENCRYPTION_PREF = (peer: string) => `parley.encryption.${peer}`;
/** Bumped when a choice changes, so every toggle and composer of this tab looks again. */
const choices = signal(0);

/** What a room says about OMEMO, by room JID: fed from the hello and every `room` event (see noteRoom). */
const roomOmemo = new Map<string, RoomDTO['omemo']>();
/** Bumped when a room's OMEMO verdict changes (a room reconfigured to anonymous turns encryption off at once). */
const roomsChanged = signal(0);

/** Call with every RoomDTO the tab receives. */
export function noteRoom(room: Pick<RoomDTO, 'jid' | 'omemo'>): void {
  const before = roomOmemo.get(room.jid);
  roomOmemo.set(room.jid, room.omemo);
  if (before?.allowed !== room.omemo.allowed || before?.reason !== room.omemo.reason) roomsChanged.value++;
}

/** The hello's rooms: the tab's snapshot, replacing what it knew (a room gone since is forgotten). */
export function syncRooms(rooms: readonly Pick<RoomDTO, 'jid' | 'omemo'>[]): void {
  const known = new Set(rooms.map((r) => r.jid));
  for (const jid of [...roomOmemo.keys()]) if (!known.has(jid)) forgetRoom(jid);
  for (const r of rooms) noteRoom(r);
}

/** A room left and forgotten. */
export function forgetRoom(jid: string): void {
  if (roomOmemo.delete(jid)) roomsChanged.value++;
}

/** The room's verdict, or undefined when `peer` is not a room this tab knows. */
export function roomVerdict(peer: string): RoomDTO['omemo'] | undefined {
  return roomOmemo.get(peer);
}

export type EncryptionState =
  /** Working it out. */
  | { on: null; refused?: undefined; without?: undefined }
  | { on: boolean; refused?: undefined; without?: string[] }
  /** A room where OMEMO cannot be used: the toggle is off and disabled, the reason shown. */
  | { on: false; refused: string };

const REFUSED_FALLBACK = 'OMEMO is not possible in this room: it is not a private group (members-only and non-anonymous).';

export async function encryptionState(peer: string): Promise<Exclude<EncryptionState, { on: null }>> {
  const verdict = roomOmemo.get(peer);
  if (verdict && !verdict.allowed) return { on: false, refused: verdict.reason ?? REFUSED_FALLBACK };
  const pref = localStorage.getItem(ENCRYPTION_PREF(peer));
  const service = await omemo();
  if (verdict) {
    // A private group: on by default when every member can read it; `without` names who cannot.
    if (!service) return { on: false };
    if (pref !== null) return { on: pref === 'on' };
    const a = await service.roomAvailability(peer);
    return { on: a.available, without: a.without };
  }
  if (pref !== null) return { on: pref === 'on' };
  return { on: service ? await service.isAvailable(peer) : false };
}

export async function encryptionWanted(peer: string): Promise<boolean> {
  return (await encryptionState(peer)).on;
}

export function setEncryption(peer: string, on: boolean): void {
  localStorage.setItem(ENCRYPTION_PREF(peer), on ? 'on' : 'off');
  choices.value++;
}

/**
 * Encrypts a text for a conversation: to every member of a private group (encryptForRoom), else to the contact.
 * Throws with a sentence for the user where it cannot (a refused room, a member without devices).
 */
export function encryptForConversation(service: OmemoService, peer: string, text: string, opts: { originId?: string } = {}): ReturnType<OmemoService['encryptFor']> {
  const verdict = roomOmemo.get(peer);
  if (!verdict) return service.encryptFor(peer, text, opts);
  if (!verdict.allowed) return Promise.reject(new Error(verdict.reason ?? REFUSED_FALLBACK));
  return service.encryptForRoom(peer, text, opts);
}

/** Whether a file can be sent encrypted here (checked before uploading it); null when it can, else why not. */
export async function cannotEncrypt(service: OmemoService, peer: string, noDevices: (jid: string) => string): Promise<string | null> {
  const verdict = roomOmemo.get(peer);
  if (!verdict) return (await service.isAvailable(peer)) ? null : noDevices(peer);
  if (!verdict.allowed) return verdict.reason ?? REFUSED_FALLBACK;
  const a = await service.roomAvailability(peer);
  if (a.available) return null;
  return a.without.length ? noDevices(a.without.join(', ')) : (a.error ?? REFUSED_FALLBACK);
}

/** The current state for `peer` ({ on: null } while it is being worked out). */
export function useEncryptionState(peer: string): EncryptionState {
  const [state, setState] = useState<EncryptionState>({ on: null });
  const settled = omemoSettled.value;
  const changed = choices.value;
  const rooms = roomsChanged.value;
  useEffect(() => {
    let live = true;
    void encryptionState(peer).then((s) => live && setState(s));
    return () => {
      live = false;
    };
  }, [peer, settled, changed, rooms]);
  return state;
}

/** The current answer for `peer` (null while it is being worked out). */
export function useEncryptionWanted(peer: string): boolean | null {
  return useEncryptionState(peer).on;
}
