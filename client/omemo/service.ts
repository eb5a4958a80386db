/**
 * OMEMO for one browser tab, above the crypto core: picks this tab's device (pool), keeps its bundle published,
 * encrypts outgoing messages to the contact's devices and our own other devices, decrypts incoming ones (through the
 * plaintext cache shared by the tabs of this browser) and offers the trust API the UI shows.
 * Talks to the server only through `CommandFn` (the socket.io commands of server/realtime/contract.ts).
 */
import type { CommandResults, Commands, MessageDTO } from '../../server/realtime/contract.js';
import { bytesEqual } from './bytes.js';
import { decrypt, encrypt } from './cipher.js';
import { buildBundle, parseBundle, parseXml } from './codec.js';
import type { OmemoDevice } from './device.js';
import { fingerprint, fingerprintUri, formatFingerprint, parseFingerprintUri } from './fingerprint.js';
import { PlaintextCache, type PlaintextPlace } from './plaintext-cache.js';
import { chooseDevice, lockName, tryLock, type LockManagerLike, type PoolChoice, type Release, type StorageLike } from './pool.js';
import { hasSession } from './signal-adapter.js';
import { OmemoStore } from './store.js';
import type { Bundle, PerDeviceResult, Recipient, Trust } from './types.js';

export type CommandFn = <K extends keyof CommandResults>(name: K, payload: Commands[K]) => Promise<CommandResults[K]>;

export interface OmemoServiceOptions {
  account: string;
  command: CommandFn;
  /** Defaults to navigator.locks. */
  locks?: LockManagerLike;
  /** Defaults to sessionStorage (per tab: a reload keeps the device). */
  storage?: StorageLike;
  /** IndexedDB name prefix shared by the tabs of one browser profile. */
  dbName?: string;
  /** One-time prekeys of a new device (XEP-0384 recommends 100). */
  preKeyCount?: number;
}

/** Prekeys are topped back up to PREKEY_TARGET when fewer than PREKEY_MIN remain. */
export const PREKEY_MIN = 20;
export const PREKEY_TARGET = 100;

export type DisplayTrust = Trust | 'own';

/** What the UI shows for one message. Every non-ok state carries a sentence for the user. */
export type DisplayResult =
  | { status: 'ok'; text: string; trust: DisplayTrust; senderDeviceId: number; fromCache: boolean; handedOverBy?: number }
  | { status: 'plain'; text: string }
  | { status: 'key-only'; message: string }
  | { status: 'not-for-this-device'; message: string }
  | { status: 'no-session'; message: string }
  | { status: 'untrusted'; senderDeviceId: number; message: string }
  | { status: 'duplicate'; message: string }
  | { status: 'sent-text-lost'; message: string }
  | { status: 'no-sender'; message: string }
  | { status: 'malformed'; reason: string; message: string }
  | { status: 'error'; reason: string; message: string };

export const DISPLAY_MESSAGES = {
  'key-only': 'Encryption keys were exchanged; this message has no text.',
  'not-for-this-device': "This message was not encrypted for this tab: the sender did not know this tab's device yet.",
  'before-this-browser':
    'Encrypted before this browser was set up. Open Parley in a browser where you already read this conversation and accept the history handover there.',
  'no-session': "This tab has no secure session with the sender's device. Asking the sender to write again usually fixes it.",
  untrusted: "Not decrypted: the sender's device changed its key or is marked compromised. Check the contact's devices.",
  duplicate: 'This message was already decrypted in this tab, but its text is no longer stored in this browser.',
  'sent-text-lost': 'Sent from this tab; its text is no longer stored in this browser.',
  'no-sender': "This room message cannot be decrypted: the room does not show the sender's real address, which OMEMO needs.",
  malformed: 'This encrypted message is damaged and cannot be read.',
  error: 'This message could not be decrypted because of an unexpected error.',
} as const;

export interface DeviceInfo {
  deviceId: number;
  /** "abcd1234 …" (8 groups of 8 hex digits); null when no key for the device could be fetched. */
  fingerprint: string | null;
  trust: Trust;
  isOwn: boolean;
  isThisTab: boolean;
  /** One of this browser profile's devices (another tab, open or closed). */
  isThisBrowser: boolean;
  /** Set when the device now presents a different identity key than the one we know: it is refused until accepted. */
  warning: string | null;
}

export type OmemoChange =
  | { kind: 'devices'; jid: string; devices: number[] }
  | { kind: 'trust'; jid: string; deviceId: number; trust: Trust | null }
  | { kind: 'warning'; jid: string; deviceId: number; warning: string }
  | { kind: 'revoked'; deviceId: number; thisTab: boolean };

/** encryptFor found no device of the contact that it could encrypt to. */
export class OmemoEncryptError extends Error {
  override name = 'OmemoEncryptError';
  constructor(message: string, readonly perDevice: PerDeviceResult[]) {
    super(message);
  }
}

/** What encryptFor and encryptForRoom hand back: the <encrypted> XML to send, and what happened per device. */
export interface EncryptOutcome {
  encrypted: string;
  perDevice: PerDeviceResult[];
  unreachable: PerDeviceResult[];
}

/** A private group larger than this is refused: one message would carry thousands of keys (and take seconds). */
export const MAX_ROOM_MEMBERS = 200;

function noDevicesText(lists: { jid: string; error: string | null }[]): string {
  const name = (l: { jid: string; error: string | null }) => (l.error ? `${l.jid} (${l.error})` : l.jid);
  const named = lists.length <= 5 ? lists.map(name).join(', ') : `${lists.slice(0, 5).map(name).join(', ')} and ${lists.length - 5} more`;
  return `${named} ${lists.length === 1 ? 'has' : 'have'} no OMEMO devices, so OMEMO cannot be used in this room; the message was not sent.`;
}

/** verifyMemberFromUri: the scanned code is someone else's. `jid` is theirs, for the UI's sentence. */
export class NotAMemberError extends Error {
  override name = 'NotAMemberError';
  constructor(readonly jid: string) {
    super(`This code belongs to ${jid}, who is not a member of this room.`);
  }
}

const IDENTITY_CHANGED = 'This device now presents a different key than before. Messages to and from it are refused until you accept the new key.';
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const deviceKey = (jid: string, deviceId: number) => `${jid}:${deviceId}`;

async function browserSince(store: OmemoStore, account: string): Promise<number> {
  let since = Infinity;
  for (const id of await store.listDevices(account)) {
    const rec = await store.forDevice(account, id).getLocalDevice();
    if (rec) since = Math.min(since, rec.createdAt);
  }
  return Number.isFinite(since) ? since : Date.now();
}

/**
 * Whose devices an incoming message comes from. In a room (or a MUC-PM, both carry `nick`) that is the real JID the
 * room shows (`senderJid`), never the nick or the room: keys and trust belong to people, not to nicknames. Our own
 * messages (another device of ours, reflected by the room) come from our account. Null: the room hides the sender.
 */
export function senderOf(m: Pick<MessageDTO, 'direction' | 'peer' | 'nick' | 'senderJid'>, account: string): string | null {
  if (m.direction === 'out') return account;
  if (m.nick === undefined && !m.peer.includes('/')) return m.peer;
  const real = m.senderJid?.split('/')[0]?.toLowerCase();
  return real && real.includes('@') ? real : null;
}

function defaultLocks(): LockManagerLike {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (!locks) throw new Error('This browser does not support Web Locks, which OMEMO in Parley needs to keep tabs from sharing a device.');
  return locks;
}
function defaultStorage(): StorageLike {
  const s = (globalThis as { sessionStorage?: StorageLike }).sessionStorage;
  if (!s) throw new Error('sessionStorage is not available');
  return s;
}

export class OmemoService {
  private readonly listeners = new Set<(c: OmemoChange) => void>();
  private readonly inflight = new Map<string, Promise<DisplayResult>>();
  private readonly warnings = new Map<string, string>();
  private announceChain: Promise<unknown> = Promise.resolve();
  private reannouncing = false;
  private closed = false;
  /** Another tab or device revoked this tab's device: it no longer receives messages. A reload picks a new device. */
  revoked = false;

  private constructor(
    readonly account: string,
    private readonly command: CommandFn,
    private readonly store: OmemoStore,
    private readonly cache: PlaintextCache,
    private readonly device: OmemoDevice,
    private readonly release: Release,
    private readonly lockManager: LockManagerLike,
    /** How this tab got its device; for diagnostics and tests. */
    readonly origin: PoolChoice['origin'],
    private ownDevices: number[],
    /** When this browser's first OMEMO device of the account was made: messages before it were never encrypted to it. */
    readonly browserSince: number,
  ) {}

  static async start(opts: OmemoServiceOptions): Promise<OmemoService> {
    const account = opts.account.toLowerCase();
    const dbName = opts.dbName ?? 'parley-omemo';
    const locks = opts.locks ?? defaultLocks();
    const storage = opts.storage ?? defaultStorage();
    const store = await OmemoStore.open(dbName);
    const cache = await PlaintextCache.open(account, dbName);
    try {
      const excluded = async (id: number) =>
        (await cache.isRevoked(id)) || (await store.forDevice(account, id).getTrust(account, id))?.trust === 'compromised';
      // A device the server refuses (revoked elsewhere) is dropped and the pool asked again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const choice = await chooseDevice({ store, account, locks, storage, excluded, preKeyCount: opts.preKeyCount });
        const { device } = choice;
        let publish: string | null;
        let devices: number[];
        try {
          await device.replenishPreKeys(PREKEY_MIN, Math.max(PREKEY_TARGET, opts.preKeyCount ?? 0));
          const bundleXml = buildBundle(device.bundle()).toString();
          const announced = await cache.getMeta(`announced:${device.deviceId}`);
          publish = choice.isNew || announced !== bundleXml ? bundleXml : null;
          ({ devices } = await opts.command('omemoAnnounce', { deviceId: device.deviceId, bundle: publish }));
        } catch (e) {
          choice.release(); // e.g. the server is unreachable: the next start (or another tab) may take this device
          throw e;
        }
        if (!devices.includes(device.deviceId)) {
          await cache.markRevoked(device.deviceId);
          await store.deleteDevice(account, device.deviceId);
          choice.release();
          continue;
        }
        if (publish) await cache.setMeta(`announced:${device.deviceId}`, publish);
        const since = await browserSince(store, account);
        return new OmemoService(account, opts.command, store, cache, device, choice.release, locks, choice.origin, devices, since);
      }
      throw new Error('The server refused every OMEMO device this browser offered.');
    } catch (e) {
      store.close();
      cache.close();
      throw e;
    }
  }

  /** Gives the device back (the next tab may adopt it) and closes the databases. A closing tab does this implicitly. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.store.close();
    this.cache.close();
  }

  get deviceId(): number {
    return this.device.deviceId;
  }

  /** The account's device list as last seen (announce, encrypt or an omemoDevices event). */
  get accountDevices(): number[] {
    return [...this.ownDevices];
  }

  ownFingerprint(): string {
    return formatFingerprint(fingerprint(this.device.identityKey));
  }

  /** Conversations' QR format: xmpp:ACCOUNT?omemo-sid-ID=FINGERPRINT, for this tab's device. */
  qrUri(): string {
    return fingerprintUri(this.account, [{ deviceId: this.deviceId, fingerprint: fingerprint(this.device.identityKey) }]);
  }

  onChange(cb: (c: OmemoChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(c: OmemoChange): void {
    for (const cb of this.listeners) {
      try {
        cb(c);
      } catch {
        // A broken listener must not break OMEMO.
      }
    }
  }

  /** True when the contact publishes OMEMO devices: the UI turns encryption on by default. */
  async isAvailable(peer: string): Promise<boolean> {
    try {
      return (await this.command('omemoDevices', { jid: peer })).devices.length > 0;
    } catch {
      return false;
    }
  }

  // --- sending ------------------------------------------------------------------------------------------------

  /** `unreachable`: the device's keys exist but could not be had (refused, server error), unlike a device that published none. */
  private async fetchBundle(jid: string, deviceId: number, fresh = false): Promise<{ bundle?: Bundle; error?: string; unreachable?: boolean }> {
    try {
      const { bundle } = await this.command('omemoBundle', { jid, deviceId, fresh });
      if (!bundle) return { error: 'no published bundle' };
      return { bundle: parseBundle(parseXml(bundle), deviceId) };
    } catch (e) {
      return { error: `bundle: ${errorText(e)}`, unreachable: true };
    }
  }

  /**
   * Encrypts for every device of `peer` and every other device of our account (their copy), never this tab's own.
   * Throws OmemoEncryptError when not one device of the peer could be encrypted to. With `originId`, the plaintext
   * is remembered for this tab (it cannot decrypt its own message later). `unreachable` lists the peer's devices left out
   * because their keys could not be fetched (e.g. a bundle only contacts may read): the sender should hear of them.
   */
  async encryptFor(
    peer: string,
    plaintext: string,
    opts: { originId?: string } = {},
  ): Promise<EncryptOutcome> {
    const jid = peer.toLowerCase();
    const [peerList, ownList] = await Promise.all([
      this.command('omemoDevices', { jid }),
      jid === this.account ? null : this.command('omemoDevices', { jid: this.account }),
    ]);
    if (ownList) this.ownDevices = ownList.devices;
    const targets: { jid: string; deviceId: number }[] = [];
    for (const id of peerList.devices) targets.push({ jid, deviceId: id });
    for (const id of ownList?.devices ?? []) targets.push({ jid: this.account, deviceId: id });

    const { element, perDevice, unreachable } = await this.encryptToTargets(targets, plaintext, new Set([jid]));
    if (!perDevice.some((p) => p.ok && p.jid === jid)) {
      const why = perDevice.filter((p) => p.jid === jid).map((p) => `${p.deviceId}: ${p.error}`).join('; ');
      throw new OmemoEncryptError(
        peerList.devices.length === 0
          ? `${jid} has no OMEMO devices; the message was not sent.`
          : `Could not encrypt to any device of ${jid} (${why}); the message was not sent.`,
        perDevice,
      );
    }
    if (opts.originId) await this.rememberSent(opts.originId, plaintext);
    return { encrypted: element, perDevice, unreachable };
  }

  /**
   * Encrypts one room message (XEP-0384 §5.2: a private group, members-only and non-anonymous) for every device of every
   * member and our own other devices. `members` defaults to the server's `roomMembers` (affiliation lists + occupants'
   * real JIDs). Throws OmemoEncryptError naming every member that has no OMEMO device, or none that can be encrypted
   * to (e.g. all marked compromised): everyone in a private group must be able to read it, or nothing is sent.
   */
  async encryptForRoom(room: string, plaintext: string, opts: { originId?: string; members?: readonly string[] } = {}): Promise<EncryptOutcome> {
    const members = await this.roomMemberJids(room, opts.members);
    const [lists, ownList] = await Promise.all([this.memberDeviceLists(members), this.command('omemoDevices', { jid: this.account })]);
    this.ownDevices = ownList.devices;
    const without = lists.filter((l) => l.devices.length === 0);
    if (without.length) throw new OmemoEncryptError(noDevicesText(without), []);
    const targets = lists.flatMap((l) => l.devices.map((deviceId) => ({ jid: l.jid, deviceId })));
    for (const id of ownList.devices) targets.push({ jid: this.account, deviceId: id });

    const { element, perDevice, unreachable } = await this.encryptToTargets(targets, plaintext, new Set(members));
    const unreadable = members.filter((jid) => !perDevice.some((p) => p.ok && p.jid === jid));
    if (unreadable.length) {
      const why = unreadable.map((jid) => `${jid} (${perDevice.filter((p) => p.jid === jid).map((p) => `${p.deviceId}: ${p.error}`).join('; ')})`);
      throw new OmemoEncryptError(`Could not encrypt to any device of ${why.join(', ')}; the message was not sent.`, perDevice);
    }
    if (opts.originId) await this.rememberSent(opts.originId, plaintext);
    return { encrypted: element, perDevice, unreachable };
  }

  /**
   * Whether OMEMO can be used in a room: every member publishes at least one device (as Conversations decides).
   * `without` names those who do not. Never throws (a failure is "not available", with the reason).
   */
  async roomAvailability(room: string, members?: readonly string[]): Promise<{ available: boolean; members: string[]; without: string[]; error: string | null }> {
    try {
      const jids = await this.roomMemberJids(room, members);
      const without = (await this.memberDeviceLists(jids)).filter((l) => l.devices.length === 0).map((l) => l.jid);
      return { available: jids.length > 0 && without.length === 0, members: jids, without, error: jids.length ? null : 'The room has no other members yet.' };
    } catch (e) {
      return { available: false, members: [], without: [], error: errorText(e) };
    }
  }

  /** Each member's device list; one that cannot be read (e.g. shown to contacts only) counts as none, with the reason. */
  private memberDeviceLists(jids: string[]): Promise<{ jid: string; devices: number[]; error: string | null }[]> {
    return Promise.all(jids.map(async (jid) => {
      try {
        return { jid, devices: (await this.command('omemoDevices', { jid })).devices, error: null };
      } catch (e) {
        return { jid, devices: [], error: errorText(e) };
      }
    }));
  }

  /** The room's members other than us: lowercased bare JIDs, once each, bounded. */
  private async roomMemberJids(room: string, given?: readonly string[]): Promise<string[]> {
    const listed = given ?? (await this.command('roomMembers', { room: room.toLowerCase() })).members;
    const jids = [...new Set(listed.map((j) => j.split('/')[0]!.toLowerCase()))].filter((j) => j !== this.account && j.includes('@'));
    if (jids.length > MAX_ROOM_MEMBERS) {
      throw new OmemoEncryptError(`This room has ${jids.length} members; OMEMO in Parley encrypts to at most ${MAX_ROOM_MEMBERS}.`, []);
    }
    return jids;
  }

  /**
   * The shared part of encryptFor / encryptForRoom: sessions with the targets (bundles fetched fresh where none exists),
   * skipping this tab's device, revoked own devices and failed fetches. `contacts` are the JIDs whose unreachable
   * devices the sender should hear of.
   */
  private async encryptToTargets(
    targets: { jid: string; deviceId: number }[],
    plaintext: string,
    contacts: ReadonlySet<string>,
  ): Promise<{ element: string; perDevice: PerDeviceResult[]; unreachable: PerDeviceResult[] }> {
    const skipped: PerDeviceResult[] = [];
    const unreachable: PerDeviceResult[] = [];
    const recipients: Recipient[] = [];
    await Promise.all(targets.map(async (t) => {
      if (t.jid === this.account && t.deviceId === this.deviceId) return; // OMEMO never encrypts to the sending device
      if (t.jid === this.account && (await this.cache.isRevoked(t.deviceId))) {
        skipped.push({ ...t, ok: false, error: 'device revoked' });
        return;
      }
      const trust = await this.device.store.getTrust(t.jid, t.deviceId);
      // The core refuses compromised devices and needs no bundle to say so.
      if (trust?.trust === 'compromised' || (await hasSession(this.device.store, t.jid, t.deviceId))) {
        recipients.push(t);
        return;
      }
      // A session starts from one of the device's one-time prekeys: take them from the bundle as published now.
      // The server's copy may be minutes old, its prekeys used up and replaced since (the peer then cannot decrypt).
      const fetched = await this.fetchBundle(t.jid, t.deviceId, true);
      if (fetched.bundle) recipients.push({ ...t, bundle: fetched.bundle });
      else skipped.push({ ...t, ok: false, error: fetched.error });
      if (fetched.unreachable && contacts.has(t.jid)) unreachable.push({ ...t, ok: false, error: fetched.error });
    }));

    const result = await encrypt(this.device, plaintext, recipients);
    const perDevice = [...result.perDevice, ...skipped];
    for (const p of perDevice) {
      if (!p.ok && p.error && /identity key differs/.test(p.error)) this.warn(p.jid, p.deviceId);
    }
    return { element: result.element.toString(), perDevice, unreachable };
  }

  /** Call before `send`: this tab cannot decrypt its own message, so it keeps the text under the origin-id. */
  async rememberSent(originId: string, plaintext: string): Promise<void> {
    await this.cache.rememberSent(originId, plaintext, this.deviceId);
  }

  /** Call with the server's ack of `send`. Either order with the 'message' event works. */
  async bindSent(originId: string, messageId: string, place?: PlaintextPlace): Promise<void> {
    await this.cache.bindSent(originId, messageId, place);
  }

  /** This browser's decrypted messages of the account containing every term, newest first (bounded scan). */
  searchPlaintexts(matches: (text: string) => boolean, peer?: string): ReturnType<PlaintextCache['search']> {
    return this.cache.search(matches, peer);
  }

  // --- receiving ----------------------------------------------------------------------------------------------

  /** Never throws: every failure becomes a DisplayResult. Concurrent calls for one message share one decryption. */
  decryptMessage(m: MessageDTO): Promise<DisplayResult> {
    if (m.encrypted === null) return Promise.resolve({ status: 'plain', text: m.body ?? '' });
    const running = this.inflight.get(m.id);
    if (running) return running;
    const p = this.decryptOnce(m).catch((e: unknown): DisplayResult => ({ status: 'error', reason: errorText(e), message: DISPLAY_MESSAGES.error }));
    this.inflight.set(m.id, p);
    void p.finally(() => this.inflight.delete(m.id));
    return p;
  }

  private async displayTrust(senderJid: string, senderDeviceId: number): Promise<DisplayTrust> {
    if (senderJid === this.account && senderDeviceId === this.deviceId) return 'own';
    return (await this.device.store.getTrust(senderJid, senderDeviceId))?.trust ?? 'unverified';
  }

  private async decryptOnce(m: MessageDTO): Promise<DisplayResult> {
    const cached = await this.cache.get(m.id);
    const place: PlaintextPlace = { peer: m.peer, direction: m.direction, stamp: m.stamp };
    if (cached) {
      if (cached.peer === undefined) void this.cache.place(m.id, place).catch(() => undefined);
      const shown = { status: 'ok', text: cached.text, trust: await this.displayTrust(cached.senderJid, cached.senderDeviceId), senderDeviceId: cached.senderDeviceId, fromCache: true } as const;
      return cached.handedOverBy ? { ...shown, handedOverBy: cached.handedOverBy } : shown;
    }
    let element;
    try {
      element = parseXml(m.encrypted ?? '');
    } catch (e) {
      return { status: 'malformed', reason: errorText(e), message: DISPLAY_MESSAGES.malformed };
    }
    const sid = Number(element.getChild('header')?.attrs.sid);
    if (m.direction === 'out' && sid === this.deviceId) {
      // Sent by this very tab: OMEMO gave this device no key, the text was kept at send time.
      const sent = m.originId ? await this.cache.bindSent(m.originId, m.id, place) : null;
      if (sent) return { status: 'ok', text: sent.text, trust: 'own', senderDeviceId: this.deviceId, fromCache: true };
      return { status: 'sent-text-lost', message: DISPLAY_MESSAGES['sent-text-lost'] };
    }
    const senderJid = senderOf(m, this.account);
    if (!senderJid) return { status: 'no-sender', message: DISPLAY_MESSAGES['no-sender'] };
    const r = await decrypt(this.device, element, senderJid);
    switch (r.status) {
      case 'ok':
        await this.cache.put(m.id, { text: r.plaintext, senderJid, senderDeviceId: r.senderDeviceId, ...place });
        // A PreKeySignalMessage used up one of our one-time prekeys: publish the bundle without it.
        if (r.prekey) void this.refreshBundle().catch(() => undefined);
        return { status: 'ok', text: r.plaintext, trust: await this.displayTrust(senderJid, r.senderDeviceId), senderDeviceId: r.senderDeviceId, fromCache: false };
      case 'key-only':
        if (r.prekey) void this.refreshBundle().catch(() => undefined);
        return { status: 'key-only', message: DISPLAY_MESSAGES['key-only'] };
      case 'not-for-this-device':
        // Older than this browser's first device: only a browser that read it can hand its text over.
        return Date.parse(m.stamp) < this.browserSince
          ? { status: 'not-for-this-device', message: DISPLAY_MESSAGES['before-this-browser'] }
          : { status: 'not-for-this-device', message: DISPLAY_MESSAGES['not-for-this-device'] };
      case 'no-session':
        return { status: 'no-session', message: DISPLAY_MESSAGES['no-session'] };
      case 'untrusted-identity': {
        const trust = await this.device.store.getTrust(senderJid, r.senderDeviceId);
        if (trust?.trust !== 'compromised') this.warn(senderJid, r.senderDeviceId);
        return { status: 'untrusted', senderDeviceId: r.senderDeviceId, message: DISPLAY_MESSAGES.untrusted };
      }
      case 'duplicate':
        return { status: 'duplicate', message: DISPLAY_MESSAGES.duplicate };
      case 'malformed':
        return { status: 'malformed', reason: r.reason, message: DISPLAY_MESSAGES.malformed };
    }
  }

  /** Tops up prekeys and republishes the bundle when it differs from the one last announced. Serialised. */
  refreshBundle(): Promise<void> {
    const run = this.announceChain.then(async () => {
      if (this.closed) return;
      await this.device.replenishPreKeys(PREKEY_MIN, PREKEY_TARGET);
      const xml = buildBundle(this.device.bundle()).toString();
      if ((await this.cache.getMeta(`announced:${this.deviceId}`)) === xml) return;
      const { devices } = await this.command('omemoAnnounce', { deviceId: this.deviceId, bundle: xml });
      await this.cache.setMeta(`announced:${this.deviceId}`, xml);
      this.ownDevices = devices;
    });
    this.announceChain = run.catch(() => undefined);
    return run;
  }

  // --- between devices of this account (history handover, client/omemo/handover.ts) ----------------------------

  /** The plaintext cache this browser's tabs share. */
  get plaintexts(): PlaintextCache {
    return this.cache;
  }

  get locks(): LockManagerLike {
    return this.lockManager;
  }

  /** Devices of this account with keys in this browser (this tab's and other tabs'). */
  localDevices(): Promise<number[]> {
    return this.store.listDevices(this.account);
  }

  /**
   * Encrypts `plaintext` for one other device of this account only (OMEMO, as a chat message would be). Refuses a
   * device marked compromised or whose key changed; a session starts from its freshly fetched bundle.
   */
  async sealForOwnDevice(deviceId: number, plaintext: string): Promise<string> {
    if (deviceId === this.deviceId) throw new Error('A tab cannot hand over to itself.');
    if (await this.cache.isRevoked(deviceId)) throw new Error(`Device ${deviceId} is revoked.`);
    const recipient: Recipient = { jid: this.account, deviceId };
    if (!(await hasSession(this.device.store, this.account, deviceId))) {
      const fetched = await this.fetchBundle(this.account, deviceId, true);
      if (!fetched.bundle) throw new Error(`No key is published for device ${deviceId} (${fetched.error}).`);
      recipient.bundle = fetched.bundle;
    }
    const result = await encrypt(this.device, plaintext, [recipient]);
    const outcome = result.perDevice[0];
    if (!outcome?.ok) {
      if (outcome?.error && /identity key differs/.test(outcome.error)) this.warn(this.account, deviceId);
      throw new Error(`Could not encrypt to device ${deviceId}: ${outcome?.error ?? 'unknown error'}.`);
    }
    return result.element.toString();
  }

  /** Decrypts an element another device of this account sealed for this tab. Never throws: a failure says why. */
  async openFromOwnDevice(fromDeviceId: number, xml: string): Promise<{ ok: true; text: string; trust: Trust } | { ok: false; error: string }> {
    let element;
    try {
      element = parseXml(xml);
    } catch (e) {
      return { ok: false, error: `damaged (${errorText(e)})` };
    }
    if (Number(element.getChild('header')?.attrs.sid) !== fromDeviceId) return { ok: false, error: 'it names another sending device inside' };
    const r = await decrypt(this.device, element, this.account).catch((e: unknown) => ({ status: 'malformed' as const, reason: errorText(e) }));
    if ((r.status === 'ok' || r.status === 'key-only') && r.prekey) void this.refreshBundle().catch(() => undefined);
    switch (r.status) {
      case 'ok':
        return { ok: true, text: r.plaintext, trust: r.trust };
      case 'untrusted-identity':
        return { ok: false, error: 'that device is marked compromised here, or its key changed' };
      case 'not-for-this-device':
        return { ok: false, error: 'it was not encrypted for this tab' };
      case 'no-session':
        return { ok: false, error: 'this tab has no secure session with that device' };
      case 'duplicate':
        return { ok: false, error: 'it was received twice' };
      case 'key-only':
        return { ok: false, error: 'it carries no content' };
      case 'malformed':
        return { ok: false, error: `damaged (${r.reason})` };
    }
  }

  /**
   * The key this tab would encrypt to (or knows from) another device of the account: from the trust record, else its
   * published bundle. `warning` when the bundle now shows another key than the one known.
   */
  async ownDeviceKey(deviceId: number): Promise<{ fingerprint: string; trust: Trust; warning: string | null } | null> {
    const rec = await this.device.store.getTrust(this.account, deviceId);
    const { bundle } = await this.fetchBundle(this.account, deviceId, !rec);
    const key = rec?.identityKey ?? bundle?.identityKey;
    if (!key) return null;
    const changed = !!rec && !!bundle && !bytesEqual(rec.identityKey, bundle.identityKey);
    if (changed) this.warn(this.account, deviceId);
    return { fingerprint: formatFingerprint(fingerprint(key)), trust: rec?.trust ?? 'unverified', warning: changed ? IDENTITY_CHANGED : null };
  }

  // --- device lists and trust ---------------------------------------------------------------------------------

  /** Feed the server's 'omemoDevices' event here. */
  handleDevicesEvent(e: { jid: string; devices: number[] }): void {
    if (this.closed) return;
    const jid = e.jid.toLowerCase();
    if (jid === this.account) {
      this.ownDevices = [...e.devices];
      // XEP-0384: a client that finds itself missing from its own list adds itself again, unless it was revoked.
      if (!e.devices.includes(this.deviceId) && !this.revoked && !this.reannouncing) void this.reannounce();
    }
    this.emit({ kind: 'devices', jid, devices: [...e.devices] });
  }

  private async reannounce(): Promise<void> {
    this.reannouncing = true;
    try {
      const { devices } = await this.command('omemoAnnounce', { deviceId: this.deviceId, bundle: null });
      this.ownDevices = devices;
      if (!devices.includes(this.deviceId)) {
        this.revoked = true;
        await this.cache.markRevoked(this.deviceId);
        this.emit({ kind: 'revoked', deviceId: this.deviceId, thisTab: true });
      }
    } catch {
      // The next device list event tries again.
    } finally {
      this.reannouncing = false;
    }
  }

  private warn(jid: string, deviceId: number): void {
    const k = deviceKey(jid, deviceId);
    if (this.warnings.get(k) === IDENTITY_CHANGED) return;
    this.warnings.set(k, IDENTITY_CHANGED);
    this.emit({ kind: 'warning', jid, deviceId, warning: IDENTITY_CHANGED });
  }

  /** Devices of a contact, or of our own account (this tab included), with fingerprints and trust. */
  async devicesOf(jid: string): Promise<DeviceInfo[]> {
    const bare = jid.toLowerCase();
    const isOwn = bare === this.account;
    const { devices } = await this.command('omemoDevices', { jid: bare });
    if (isOwn) this.ownDevices = devices;
    const ids = isOwn && !devices.includes(this.deviceId) ? [this.deviceId, ...devices] : devices;
    const local = isOwn ? new Set(await this.store.listDevices(this.account)) : new Set<number>();
    return Promise.all(ids.map(async (deviceId): Promise<DeviceInfo> => {
      if (isOwn && deviceId === this.deviceId) {
        return { deviceId, fingerprint: this.ownFingerprint(), trust: 'verified', isOwn, isThisTab: true, isThisBrowser: true, warning: null };
      }
      const rec = await this.device.store.getTrust(bare, deviceId);
      const { bundle } = await this.fetchBundle(bare, deviceId);
      if (rec && bundle && !bytesEqual(rec.identityKey, bundle.identityKey)) this.warn(bare, deviceId);
      const key = rec?.identityKey ?? bundle?.identityKey;
      return {
        deviceId,
        fingerprint: key ? formatFingerprint(fingerprint(key)) : null,
        trust: rec?.trust ?? 'unverified',
        isOwn,
        isThisTab: false,
        isThisBrowser: local.has(deviceId),
        warning: this.warnings.get(deviceKey(bare, deviceId)) ?? null,
      };
    }));
  }

  /** Records the user's decision for a device (the key is taken from its published bundle when not known yet). */
  async setTrust(jid: string, deviceId: number, trust: Trust): Promise<void> {
    const bare = jid.toLowerCase();
    if (bare === this.account && deviceId === this.deviceId) throw new Error("This tab's own device needs no trust decision.");
    const rec = await this.device.store.getTrust(bare, deviceId);
    if (rec) {
      await this.device.store.setTrust(bare, deviceId, trust);
    } else {
      const { bundle, error } = await this.fetchBundle(bare, deviceId);
      if (!bundle) throw new Error(`No key is known for device ${deviceId} of ${bare} (${error}).`);
      await this.device.store.setTrust(bare, deviceId, trust, bundle.identityKey);
    }
    this.emit({ kind: 'trust', jid: bare, deviceId, trust });
  }

  /**
   * A verification link scanned from the contact's QR code or pasted (`xmpp:JID?omemo-sid-ID=FINGERPRINT`, as
   * Conversations shows it): each listed device whose current key has exactly that fingerprint becomes verified.
   * A fingerprint that differs changes nothing and is reported: someone may be in between.
   */
  async verifyFromUri(peer: string, uri: string): Promise<{ verified: number[]; mismatched: number[]; unknown: number[] }> {
    const bare = peer.toLowerCase();
    const parsed = parseFingerprintUri(uri);
    if (!parsed) throw new Error('This is not an XMPP verification code (it should start with xmpp:).');
    if (parsed.jid.toLowerCase() !== bare) throw new Error(`This code belongs to ${parsed.jid}, not to ${bare}.`);
    if (parsed.devices.length === 0) throw new Error('This code holds no OMEMO fingerprint.');
    const known = new Map((await this.devicesOf(bare)).map((d) => [d.deviceId, d]));
    const result = { verified: [] as number[], mismatched: [] as number[], unknown: [] as number[] };
    for (const { deviceId, fingerprint: fp } of parsed.devices) {
      const device = known.get(deviceId);
      if (!device?.fingerprint || device.isThisTab) {
        if (!device?.isThisTab) result.unknown.push(deviceId);
        continue;
      }
      if (device.fingerprint.replaceAll(' ', '') !== fp || device.warning) {
        result.mismatched.push(deviceId);
        continue;
      }
      await this.setTrust(bare, deviceId, 'verified');
      result.verified.push(deviceId);
    }
    return result;
  }

  /**
   * A verification link scanned in a room's Security panel: the code names its owner, who must be one of `members`
   * (else nothing changes and the error says whose code it is). Then as verifyFromUri for that member.
   */
  async verifyMemberFromUri(members: readonly string[], uri: string): Promise<{ jid: string; verified: number[]; mismatched: number[]; unknown: number[] }> {
    const parsed = parseFingerprintUri(uri);
    if (!parsed) throw new Error('This is not an XMPP verification code (it should start with xmpp:).');
    const jid = parsed.jid.toLowerCase();
    if (!members.some((m) => m.toLowerCase() === jid)) throw new NotAMemberError(jid);
    return { jid, ...(await this.verifyFromUri(jid, uri)) };
  }

  /** The user accepts a device's new identity key: the old key and session are forgotten, the new key is trusted on first use. */
  async acceptIdentityChange(jid: string, deviceId: number): Promise<void> {
    const bare = jid.toLowerCase();
    await this.device.store.forgetIdentity(bare, deviceId);
    this.warnings.delete(deviceKey(bare, deviceId));
    this.emit({ kind: 'trust', jid: bare, deviceId, trust: null });
  }

  /**
   * Removes one of the account's devices (a lost browser) from the device list for good, and marks it compromised
   * here so that this browser never encrypts to it again. A tab cannot revoke its own device.
   */
  async revokeOwnDevice(deviceId: number): Promise<number[]> {
    if (deviceId === this.deviceId) throw new Error("A tab cannot revoke its own device; do it from another tab or device.");
    const [rec, fetched] = await Promise.all([this.device.store.getTrust(this.account, deviceId), this.fetchBundle(this.account, deviceId)]);
    await this.cache.markRevoked(deviceId);
    const { devices } = await this.command('omemoRevoke', { deviceId });
    this.ownDevices = devices;
    if (rec) await this.device.store.setTrust(this.account, deviceId, 'compromised');
    else if (fetched.bundle) await this.device.store.setTrust(this.account, deviceId, 'compromised', fetched.bundle.identityKey);
    // An idle device of this very browser: drop its keys too. One held by a live tab stays; that tab learns of it from the list.
    if ((await this.store.listDevices(this.account)).includes(deviceId)) {
      const release = await tryLock(this.lockManager, lockName(this.account, deviceId));
      if (release) {
        await this.store.deleteDevice(this.account, deviceId);
        release();
      }
    }
    this.emit({ kind: 'revoked', deviceId, thisTab: false });
    this.emit({ kind: 'devices', jid: this.account, devices });
    return devices;
  }
}
