/**
 * History handover: a browser set up after messages were exchanged cannot read them (OMEMO never encrypted them to its
 * device). A tab of an older browser of the same account that holds their plaintexts offers to send them over, sealed
 * with OMEMO for the new device only, through the server's tab-to-tab relay (`omemoRelay`, which keeps nothing).
 *
 *   new tab (B)                         server relay                    old tab (A)
 *   hello (device id only) ──────────────────────────────────────────▶ offer in its UI, B's fingerprint shown
 *                          ◀────────────────────────────────────────── offer {conversations, counts}   (sealed for B)
 *   accept in its UI, both fingerprints shown
 *   accept ──────────────────────────────────────────────────────────▶ (sealed for A)
 *                          ◀────────────────────────────────────────── chunk × n {peer, [{id, text}]}  (sealed for B)
 *   each entry checked against the server's rows, stored in the plaintext cache; result ──────────▶
 *
 * Once per new device: the old browser remembers each device it offered to (IndexedDB), and a Web Lock per device keeps
 * its other tabs from showing the same offer. Only one tab of the new browser asks (a Web Lock), until it got history.
 */
import type { MessageDTO, OmemoRelayDTO } from '../../server/realtime/contract.js';
import { parseXml } from './codec.js';
import {
  HANDOVER_LIMITS, HANDOVER_VERSION, checkEntries, packEntries, parseHandoverMessage, type HandoverEntry, type HandoverMessage,
} from './handover-format.js';
import { tryLock, type Release } from './pool.js';
import type { CommandFn, OmemoService } from './service.js';
import { isDeviceId } from './types.js';

export interface NewDeviceOffer {
  deviceId: number;
  /** The key this tab will encrypt to: the user compares it with the one the new browser shows. */
  fingerprint: string;
  ownDeviceId: number;
  ownFingerprint: string;
}

export interface IncomingOffer {
  handover: string;
  from: number;
  /** The sending device's key, as this tab's Signal session with it knows it. */
  fingerprint: string;
  alreadyVerified: boolean;
  ownDeviceId: number;
  ownFingerprint: string;
  conversations: { peer: string; count: number }[];
}

export type HandoverEvent =
  | { kind: 'new-device'; offer: NewDeviceOffer }
  | { kind: 'incoming'; offer: IncomingOffer }
  /** Progress of an accepted handover in this tab: `errors` has one line per entry that was left out. */
  | { kind: 'received'; handover: string; from: number; stored: number; errors: string[]; done: boolean }
  /** Something from another device was ignored as a whole (not accepted, not trusted, malformed). */
  | { kind: 'refused'; from: number; error: string }
  /** Plaintexts of these messages are now in this browser's cache (stored by this or another tab). */
  | { kind: 'plaintexts'; ids: string[] };

export interface SendResult {
  sent: number;
  stored: number;
  rejected: number;
  /** Messages that could not be handed over (too long, too many). */
  left: number;
}

/** A BroadcastChannel as far as the handover uses it: injectable for tests. */
export interface ChannelLike {
  postMessage(data: unknown): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  close(): void;
}

export interface HandoverOptions {
  service: OmemoService;
  command: CommandFn;
  /** Tells the other tabs of this browser about stored plaintexts; defaults to a BroadcastChannel when there is one. */
  channel?: ChannelLike | null;
  /** How long the offering tab waits for the new browser's answer. */
  answerTimeoutMs?: number;
}

/** This browser's part: 'wanted' (set up after other devices existed, no history yet), 'done', or absent. */
const STATE_KEY = 'handover:state';
const offeredKey = (deviceId: number) => `handover:offered:${deviceId}`;
const HELLO_INTERVAL_MS = 3_000;
const RESULT_TIMEOUT_MS = 2 * 60_000;
const PAGE = 100;
const MAX_PAGES = Math.ceil(HANDOVER_LIMITS.entries / PAGE) + 20;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** (stamp, id) order of the server; ids are decimal bigints. */
function older(a: MessageDTO, b: MessageDTO): boolean {
  if (a.stamp !== b.stamp) return Date.parse(a.stamp) < Date.parse(b.stamp);
  return a.id.length !== b.id.length ? a.id.length < b.id.length : a.id < b.id;
}
function oldestOf(messages: MessageDTO[]): MessageDTO | undefined {
  return messages.reduce<MessageDTO | undefined>((o, m) => (!o || older(m, o) ? m : o), undefined);
}
function senderDeviceOf(row: MessageDTO): number | null {
  try {
    const sid = Number(parseXml(row.encrypted ?? '').getChild('header')?.attrs.sid);
    return isDeviceId(sid) ? sid : null;
  } catch {
    return null;
  }
}

interface Waiter {
  from: number;
  types: HandoverMessage['type'][];
  resolve: (m: HandoverMessage) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface Accepted {
  from: number;
  chunks: number;
  peers: Set<string>;
  seen: Set<number>;
  stored: number;
  rejected: number;
  errors: string[];
  /** The server's rows of each conversation, paged in as far as the entries need. */
  rows: Map<string, { byId: Map<string, MessageDTO>; before?: MessageDTO; more: boolean }>;
}

export class Handover {
  private readonly listeners = new Set<(e: HandoverEvent) => void>();
  private readonly waiting = new Map<string, Waiter>();
  private readonly offers = new Map<string, { from: number; conversations: { peer: string; count: number }[]; chunks: number }>();
  private readonly accepted = new Map<string, Accepted>();
  /** Offers this tab shows, by new device: the lock keeps the browser's other tabs from showing them too. */
  private readonly offering = new Map<number, Release>();
  private inbox: Promise<void> = Promise.resolve();
  private asking: Release | null = null;
  private lastHello = 0;
  private wanted = false;
  private closed = false;

  private constructor(
    private readonly service: OmemoService,
    private readonly command: CommandFn,
    private readonly channel: ChannelLike | null,
    private readonly answerTimeoutMs: number,
  ) {
    if (channel) channel.onmessage = (e) => this.fromChannel(e.data);
  }

  static async start(opts: HandoverOptions): Promise<Handover> {
    const channel = opts.channel !== undefined ? opts.channel : defaultChannel(opts.service.account);
    const h = new Handover(opts.service, opts.command, channel, opts.answerTimeoutMs ?? 10 * 60_000);
    const cache = opts.service.plaintexts;
    let state = await cache.getMeta(STATE_KEY);
    if (state === undefined) {
      // The browser's first device, on an account that already had other devices: their history is not readable here.
      const first = opts.service.origin === 'new' && (await opts.service.localDevices()).length === 1;
      state = first && opts.service.accountDevices.some((d) => d !== opts.service.deviceId) ? 'wanted' : 'none';
      await cache.setMeta(STATE_KEY, state);
    }
    h.wanted = state === 'wanted';
    await h.askIfWanted();
    return h;
  }

  close(): void {
    this.closed = true;
    this.asking?.();
    for (const release of this.offering.values()) release();
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.channel?.close();
  }

  onEvent(cb: (e: HandoverEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(e: HandoverEvent): void {
    for (const cb of this.listeners) {
      try {
        cb(e);
      } catch {
        // A broken listener must not stop the handover.
      }
    }
  }

  /** True while this browser waits for history from an older one. */
  get isWaiting(): boolean {
    return this.wanted;
  }

  // --- the new browser asks ---------------------------------------------------------------------------------------

  private async askIfWanted(): Promise<void> {
    if (!this.wanted || this.closed) return;
    this.asking ??= await tryLock(this.service.locks, `parley-handover-ask:${this.service.account}`);
    if (!this.asking || Date.now() - this.lastHello < HELLO_INTERVAL_MS) return;
    this.lastHello = Date.now();
    await this.command('omemoRelay', { from: this.service.deviceId, to: null, encrypted: null }).catch(() => undefined);
  }

  /** Feed the account's device list changes here: a tab that just started elsewhere hears this browser ask again. */
  handleDevicesEvent(e: { jid: string }): void {
    if (e.jid.toLowerCase() === this.service.account) void this.askIfWanted();
  }

  /** Feed the server's 'omemoRelay' events here. Resolves when this tab has dealt with it (never rejects). */
  handleRelay(e: OmemoRelayDTO): Promise<void> {
    if (this.closed || e.from === this.service.deviceId) return Promise.resolve();
    if (e.to === null) return this.onHello(e.from).catch(() => undefined);
    if (e.to !== this.service.deviceId || !e.encrypted) return Promise.resolve();
    const xml = e.encrypted;
    // One at a time: Signal sessions advance message by message, chunks are stored in order.
    this.inbox = this.inbox
      .then(() => this.onSealed(e.from, xml))
      .catch((err: unknown) => this.refuse(e.from, `Could not take in a handover message from device ${e.from}: ${errorText(err)}`));
    return this.inbox;
  }

  // --- an old browser offers ----------------------------------------------------------------------------------

  private async onHello(from: number): Promise<void> {
    if (!isDeviceId(from) || this.offering.has(from)) return;
    const cache = this.service.plaintexts;
    if ((await cache.getMeta(offeredKey(from))) !== undefined) return;
    if ((await this.service.localDevices()).includes(from)) return; // another tab of this very browser
    if (!(await cache.hasAny())) return; // nothing to hand over
    const { devices } = await this.command('omemoDevices', { jid: this.service.account, fresh: true });
    if (!devices.includes(from)) return;
    const release = await tryLock(this.service.locks, `parley-handover-offer:${this.service.account}:${from}`);
    if (!release) return; // another tab of this browser shows the offer
    try {
      if ((await cache.getMeta(offeredKey(from))) !== undefined) throw new Error('offered meanwhile');
      const key = await this.service.ownDeviceKey(from);
      if (!key || key.trust === 'compromised' || key.warning) throw new Error('not a device to hand over to');
      this.offering.set(from, release);
      this.emit({
        kind: 'new-device',
        offer: { deviceId: from, fingerprint: key.fingerprint, ownDeviceId: this.service.deviceId, ownFingerprint: this.service.ownFingerprint() },
      });
    } catch {
      release();
    }
  }

  /**
   * From the Security panel: offer the history to one of the account's devices in another browser, even one offered
   * to before (the new browser must still accept it there). False when it cannot be offered (see the reason).
   */
  async offerTo(deviceId: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    if ((await this.service.localDevices()).includes(deviceId)) return { ok: false, reason: 'That device is a tab of this browser: it reads the same history already.' };
    if (this.offering.has(deviceId)) return { ok: false, reason: 'This tab already offers history to that device.' };
    const release = await tryLock(this.service.locks, `parley-handover-offer:${this.service.account}:${deviceId}`);
    if (!release) return { ok: false, reason: 'Another tab of this browser is offering history to that device.' };
    const key = await this.service.ownDeviceKey(deviceId).catch(() => null);
    if (!key || key.trust === 'compromised' || key.warning) {
      release();
      return { ok: false, reason: 'That device has no usable key: it is unknown, changed its key or is marked compromised.' };
    }
    this.offering.set(deviceId, release);
    this.emit({ kind: 'new-device', offer: { deviceId, fingerprint: key.fingerprint, ownDeviceId: this.service.deviceId, ownFingerprint: this.service.ownFingerprint() } });
    return { ok: true };
  }

  /** The user does not want to hand over to this device: it is not offered again in this browser. */
  async dismiss(deviceId: number): Promise<void> {
    await this.service.plaintexts.setMeta(offeredKey(deviceId), 'dismissed');
    this.offering.get(deviceId)?.();
    this.offering.delete(deviceId);
  }

  /**
   * The user compared the fingerprints and picked conversations: their readable encrypted messages go to `to`, newest
   * first (bounded), once the new browser accepts. Marks the device verified here (its fingerprint was just compared).
   */
  async send(to: number, peers: string[], progress: (text: string) => void = () => undefined): Promise<SendResult> {
    const key = await this.service.ownDeviceKey(to);
    if (!key || key.trust === 'compromised' || key.warning) throw new Error(`Device ${to} is not one to hand history to (its key is unknown, changed or marked compromised).`);
    const { devices } = await this.command('omemoDevices', { jid: this.service.account, fresh: true });
    if (!devices.includes(to)) throw new Error(`Device ${to} is no longer in your account's device list.`);
    await this.service.setTrust(this.service.account, to, 'verified');
    progress('Reading the chosen conversations…');
    const inputs = [];
    for (const peer of [...new Set(peers)].slice(0, HANDOVER_LIMITS.conversations)) inputs.push({ peer, entries: await this.collect(peer) });
    const packed = packEntries(inputs);
    if (packed.chunks.length === 0) throw new Error('The chosen conversations hold no encrypted message this browser can read.');
    const handover = crypto.randomUUID();
    const envelope = { v: HANDOVER_VERSION, handover, from: this.service.deviceId, to } as const;

    const answer = this.expect(handover, to, ['accept', 'decline'], this.answerTimeoutMs);
    await this.relay(to, { ...envelope, type: 'offer', conversations: packed.conversations, chunks: packed.chunks.length }).catch((e: unknown) => this.cancel(handover, e));
    progress('Waiting for the new browser to accept…');
    const reply = await answer;
    if (reply.type === 'decline') {
      await this.finishOffer(to, 'declined');
      throw new Error('The new browser declined the history.');
    }
    const result = this.expect(handover, to, ['result'], RESULT_TIMEOUT_MS);
    let sent = 0;
    for (const [seq, chunk] of packed.chunks.entries()) {
      await this.relay(to, { ...envelope, type: 'chunk', seq, peer: chunk.peer, entries: chunk.entries }).catch((e: unknown) => this.cancel(handover, e));
      sent += chunk.entries.length;
      progress(`Sending… ${sent} of ${packed.conversations.reduce((n, c) => n + c.count, 0)} messages`);
    }
    const done = await result;
    await this.finishOffer(to, 'done');
    const counts = done.type === 'result' ? done : { stored: 0, rejected: 0 };
    return { sent, stored: counts.stored, rejected: counts.rejected, left: packed.left.length };
  }

  private async finishOffer(to: number, outcome: string): Promise<void> {
    await this.service.plaintexts.setMeta(offeredKey(to), outcome);
    this.offering.get(to)?.();
    this.offering.delete(to);
  }

  /** This tab's readable encrypted messages of one conversation, newest first, at most HANDOVER_LIMITS.entries. */
  private async collect(peer: string): Promise<HandoverEntry[]> {
    const entries: HandoverEntry[] = [];
    let before: MessageDTO | undefined;
    for (let page = 0; page < MAX_PAGES && entries.length < HANDOVER_LIMITS.entries; page++) {
      const { messages, hasMore } = await this.command('history', { peer, limit: PAGE, ...(before ? { before: { stamp: before.stamp, id: before.id } } : {}) });
      const newestFirst = [...messages].sort((a, b) => (older(a, b) ? 1 : -1));
      for (const m of newestFirst) {
        if (m.encrypted === null) continue;
        // From the cache (read before, or sent by this browser) or decrypted now, as showing it would.
        const shown = await this.service.decryptMessage(m);
        if (shown.status === 'ok') entries.push({ id: m.id, text: shown.text });
      }
      before = oldestOf(messages);
      if (!hasMore || !before) break;
    }
    return entries.slice(0, HANDOVER_LIMITS.entries);
  }

  // --- the new browser accepts ----------------------------------------------------------------------------------

  /** The user compared the fingerprints: the sender becomes verified here, and its chunks are taken in. */
  async accept(handover: string): Promise<void> {
    const offer = this.offers.get(handover);
    if (!offer) throw new Error('This offer is no longer open.');
    this.offers.delete(handover);
    await this.service.setTrust(this.service.account, offer.from, 'verified');
    this.accepted.set(handover, {
      from: offer.from, chunks: offer.chunks, peers: new Set(offer.conversations.map((c) => c.peer)),
      seen: new Set(), stored: 0, rejected: 0, errors: [], rows: new Map(),
    });
    await this.relay(offer.from, { v: HANDOVER_VERSION, handover, from: this.service.deviceId, to: offer.from, type: 'accept' });
  }

  async decline(handover: string): Promise<void> {
    const offer = this.offers.get(handover);
    if (!offer) return;
    this.offers.delete(handover);
    await this.relay(offer.from, { v: HANDOVER_VERSION, handover, from: this.service.deviceId, to: offer.from, type: 'decline' });
  }

  private refuse(from: number, error: string): void {
    this.emit({ kind: 'refused', from, error });
  }

  private async onSealed(from: number, xml: string): Promise<void> {
    const opened = await this.service.openFromOwnDevice(from, xml);
    if (!opened.ok) return this.refuse(from, `Ignored a message from device ${from}: ${opened.error}.`);
    const parsed = parseHandoverMessage(opened.text);
    if (!parsed.ok) return this.refuse(from, `Ignored a malformed handover message from device ${from}: ${parsed.error}.`);
    const m = parsed.value;
    if (m.from !== from || m.to !== this.service.deviceId) return this.refuse(from, `Ignored a handover message from device ${from}: it was addressed to another device.`);
    switch (m.type) {
      case 'accept':
      case 'decline':
      case 'result': {
        const w = this.waiting.get(m.handover);
        if (!w || w.from !== from || !w.types.includes(m.type)) return;
        this.waiting.delete(m.handover);
        clearTimeout(w.timer);
        w.resolve(m);
        return;
      }
      case 'offer': {
        if (opened.trust === 'compromised') return this.refuse(from, `Refused history from device ${from}: it is marked compromised.`);
        const { devices } = await this.command('omemoDevices', { jid: this.service.account, fresh: true });
        if (!devices.includes(from)) return this.refuse(from, `Refused history from device ${from}: it is not in your account's device list.`);
        const key = await this.service.ownDeviceKey(from);
        if (!key || key.warning) return this.refuse(from, `Refused history from device ${from}: its key changed.`);
        this.offers.set(m.handover, { from, conversations: m.conversations, chunks: m.chunks });
        this.emit({
          kind: 'incoming',
          offer: {
            handover: m.handover, from, fingerprint: key.fingerprint, alreadyVerified: key.trust === 'verified',
            ownDeviceId: this.service.deviceId, ownFingerprint: this.service.ownFingerprint(), conversations: m.conversations,
          },
        });
        return;
      }
      case 'chunk':
        return this.onChunk(from, m);
    }
  }

  private async onChunk(from: number, m: Extract<HandoverMessage, { type: 'chunk' }>): Promise<void> {
    const acc = this.accepted.get(m.handover);
    if (!acc || acc.from !== from) return this.refuse(from, `Refused history from device ${from}: no handover from it was accepted in this tab.`);
    if (acc.seen.has(m.seq) || m.seq >= acc.chunks) return this.refuse(from, `Ignored part ${m.seq + 1} of the history from device ${from}: not expected.`);
    if (!acc.peers.has(m.peer)) return this.refuse(from, `Ignored history of ${m.peer} from device ${from}: that conversation was not offered.`);
    acc.seen.add(m.seq);
    const rows = await this.rowsFor(acc, m.peer, m.entries);
    const { accepted, rejected } = checkEntries(m.peer, m.entries, rows);
    const cache = this.service.plaintexts;
    const ids: string[] = [];
    for (const { entry, row } of accepted) {
      const sender = senderDeviceOf(row);
      if (sender === null) {
        rejected.push({ id: entry.id, error: 'not a readable OMEMO message' });
        continue;
      }
      if (await cache.get(entry.id)) continue; // already readable here: never overwritten
      await cache.put(entry.id, { text: entry.text, senderJid: row.direction === 'in' ? row.peer : this.service.account, senderDeviceId: sender, handedOverBy: from });
      ids.push(entry.id);
    }
    acc.stored += ids.length;
    acc.rejected += rejected.length;
    acc.errors.push(...rejected.map((r) => `Message ${r.id}: ${r.error}.`));
    if (ids.length) {
      this.channel?.postMessage({ ids });
      this.emit({ kind: 'plaintexts', ids });
    }
    const done = acc.seen.size === acc.chunks;
    this.emit({ kind: 'received', handover: m.handover, from, stored: acc.stored, errors: [...acc.errors], done });
    if (!done) return;
    this.accepted.delete(m.handover);
    this.wanted = false;
    await cache.setMeta(STATE_KEY, 'done');
    this.asking?.();
    this.asking = null;
    await this.relay(from, { v: HANDOVER_VERSION, handover: m.handover, from: this.service.deviceId, to: from, type: 'result', stored: acc.stored, rejected: acc.rejected });
  }

  /** Pages the conversation (newest first) until every id of the entries is known or the history ends. */
  private async rowsFor(acc: Accepted, peer: string, entries: unknown[]): Promise<Map<string, MessageDTO>> {
    let state = acc.rows.get(peer);
    if (!state) acc.rows.set(peer, (state = { byId: new Map(), more: true }));
    const wanted = entries.flatMap((e) => (typeof e === 'object' && e !== null && typeof (e as { id?: unknown }).id === 'string' ? [(e as { id: string }).id] : []));
    for (let page = 0; page < MAX_PAGES && state.more && wanted.some((id) => !state.byId.has(id)); page++) {
      const before = state.before;
      const { messages, hasMore } = await this.command('history', { peer, limit: PAGE, ...(before ? { before: { stamp: before.stamp, id: before.id } } : {}) });
      for (const row of messages) state.byId.set(row.id, row);
      state.before = oldestOf(messages);
      state.more = hasMore && state.before !== undefined;
    }
    return state.byId;
  }

  // --- plumbing -------------------------------------------------------------------------------------------------

  private expect(handover: string, from: number, types: HandoverMessage['type'][], timeoutMs: number): Promise<HandoverMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(handover);
        reject(new Error('The new browser did not answer in time.'));
      }, timeoutMs);
      this.waiting.set(handover, { from, types, resolve, reject, timer });
    });
  }

  /** A send step failed: the pending answer is dropped (not left to time out unheard) and the error goes on. */
  private cancel(handover: string, error: unknown): never {
    const w = this.waiting.get(handover);
    if (w) {
      clearTimeout(w.timer);
      this.waiting.delete(handover);
      w.resolve = () => undefined;
    }
    throw error instanceof Error ? error : new Error(String(error));
  }

  /** Seals a message for one device of this account and relays it; waits out the server's rate limit. */
  private async relay(to: number, message: HandoverMessage): Promise<void> {
    const encrypted = await this.service.sealForOwnDevice(to, JSON.stringify(message));
    for (let attempt = 0; ; attempt++) {
      try {
        await this.command('omemoRelay', { from: this.service.deviceId, to, encrypted });
        return;
      } catch (e) {
        if (attempt >= 20 || !/Too many requests/.test(errorText(e))) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private fromChannel(data: unknown): void {
    const ids = (data as { ids?: unknown })?.ids;
    if (Array.isArray(ids) && ids.every((id) => typeof id === 'string')) this.emit({ kind: 'plaintexts', ids: ids as string[] });
  }
}

function defaultChannel(account: string): ChannelLike | null {
  const BC = (globalThis as { BroadcastChannel?: new (name: string) => ChannelLike }).BroadcastChannel;
  return BC ? new BC(`parley-handover:${account}`) : null;
}
