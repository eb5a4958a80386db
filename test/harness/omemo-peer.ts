/**
 * An OMEMO 0.3 contact on "another client" for integration tests: the libsignal-client reference device plus a plain
 * XMPP connection to the test Prosody. It publishes its own bundle and device list in PEP (open access), fetches
 * other people's, sends encrypted chat messages the way Conversations does and decrypts what it receives.
 * Its PEP and message XML is written here on purpose, not taken from Parley's server code, so it checks that code.
 */
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { XmppPeer } from './xmpp-peer.js';
import { ReferenceDevice, type RefBundle } from './omemo-reference.js';
import type { XmlElement } from '../../client/omemo/xml.js';
import type { TestXmppServer } from './xmpp-server.js';
import { buildAdminSet, buildConfigGet, buildConfigSubmit, buildJoin, parseConfigForm, admin } from '../../server/stanza/muc.js';
import { buildSubmitForm } from '../../server/stanza/data-form.js';

const NS = 'eu.siacs.conversations.axolotl';
const DEVICELIST = `${NS}.devicelist`;
const bundleNode = (id: number) => `${NS}.bundles:${id}`;
const PUBSUB = 'http://jabber.org/protocol/pubsub';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
export const FALLBACK = 'I sent you an OMEMO encrypted message but your client doesn’t seem to support that.';

export interface DecryptedMessage {
  /** The sender's bare JID (in a room: the real JID the room showed for the occupant). */
  from: string;
  /** Room messages: the room's bare JID and the sender's nick. */
  room?: string;
  nick?: string;
  text: string | null;
  senderDeviceId: number;
  prekey: boolean;
  stanza: Element;
}

function publishIq(node: string, payload: Element, options: Record<string, string>): Element {
  const field = (v: string, value: string, type?: string) => xml('field', type ? { var: v, type } : { var: v }, xml('value', {}, value));
  return xml('iq', { type: 'set' },
    xml('pubsub', { xmlns: PUBSUB },
      xml('publish', { node }, xml('item', { id: 'current' }, payload)),
      xml('publish-options', {},
        xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
          field('FORM_TYPE', `${PUBSUB}#publish-options`, 'hidden'),
          ...Object.entries(options).map(([k, v]) => field(k, v))))));
}

const b64 = (node: Element | undefined): Uint8Array => new Uint8Array(Buffer.from((node?.getText() ?? '').replace(/\s+/g, ''), 'base64'));

export class OmemoPeer {
  readonly received: DecryptedMessage[] = [];
  /** Incoming encrypted stanzas that failed to decrypt here (with the error), e.g. not addressed to this device. */
  readonly failures: { stanza: Element; error: string }[] = [];
  private processed = 0;
  private processing: Promise<void> = Promise.resolve();

  /** Per room (bare JID): nick -> real bare JID, from the occupants' presences (non-anonymous rooms show them). */
  readonly occupants = new Map<string, Map<string, string>>();
  /** Our nick per joined room. */
  readonly nicks = new Map<string, string>();

  private constructor(readonly xmpp: XmppPeer, readonly device: ReferenceDevice) {
    xmpp.conn.on('stanza', (el: Element) => {
      if (el.name !== 'presence') return;
      const [room, nick] = String(el.attrs.from ?? '').split(/\/(.*)/s);
      const item = el.getChild('x', MUC_USER)?.getChild('item');
      if (!room || !nick || !item) return;
      const people = this.occupants.get(room) ?? new Map<string, string>();
      this.occupants.set(room, people);
      if (el.attrs.type === 'unavailable') people.delete(nick);
      else if (typeof item.attrs.jid === 'string') people.set(nick, item.attrs.jid.split('/')[0]!.toLowerCase());
    });
  }

  static async start(prosody: Pick<TestXmppServer, 'c2sPort'>, jid: string, password: string, opts: { preKeyCount?: number } = {}): Promise<OmemoPeer> {
    const xmpp = await XmppPeer.login(prosody, jid, password);
    const peer = new OmemoPeer(xmpp, ReferenceDevice.create(xmpp.conn.bareJid, { preKeyCount: opts.preKeyCount ?? 20 }));
    await peer.publishBundle();
    await peer.publishDeviceList();
    return peer;
  }

  get jid(): string {
    return this.device.jid;
  }
  get deviceId(): number {
    return this.device.deviceId;
  }

  async publishBundle(): Promise<void> {
    await this.xmpp.conn.iq(publishIq(bundleNode(this.deviceId), this.device.bundleElement() as unknown as Element,
      { 'pubsub#access_model': 'open' })); // as Conversations does: only the option every server knows
  }

  /** Adds this device to the account's list, keeping the devices already there (other clients). */
  async publishDeviceList(): Promise<number[]> {
    const ids = [...new Set([...(await this.devices(this.jid)), this.deviceId])];
    await this.xmpp.conn.iq(publishIq(DEVICELIST, xml('list', { xmlns: NS }, ...ids.map((id) => xml('device', { id: String(id) }))),
      { 'pubsub#access_model': 'open' }));
    return ids;
  }

  private async items(jid: string, node: string): Promise<Element | null> {
    try {
      const res = await this.xmpp.conn.iq(xml('iq', { type: 'get', to: jid }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node }))));
      const items = res.getChild('pubsub', PUBSUB)?.getChild('items')?.getChildren('item') ?? [];
      return (items.at(-1)?.getChildElements()[0] as Element | undefined) ?? null;
    } catch (e) {
      if (['item-not-found', 'service-unavailable'].includes((e as { condition?: string }).condition ?? '')) return null;
      throw e;
    }
  }

  async devices(jid: string): Promise<number[]> {
    const list = await this.items(jid, DEVICELIST);
    return (list?.getChildren('device') ?? []).map((d) => Number(d.attrs.id)).filter((id) => Number.isInteger(id) && id > 0);
  }

  async bundle(jid: string, deviceId: number): Promise<RefBundle | null> {
    const b = await this.items(jid, bundleNode(deviceId));
    if (!b) return null;
    const spk = b.getChild('signedPreKeyPublic');
    return {
      deviceId,
      identityKey: b64(b.getChild('identityKey')),
      signedPreKey: { id: Number(spk?.attrs.signedPreKeyId), publicKey: b64(spk), signature: b64(b.getChild('signedPreKeySignature')) },
      preKeys: (b.getChild('prekeys')?.getChildren('preKeyPublic') ?? []).map((k) => ({ id: Number(k.attrs.preKeyId), publicKey: b64(k) })),
    };
  }

  /**
   * Encrypts to every device of `to` (or only `deviceIds`) and to this account's other devices, and sends a chat
   * message as Conversations does: <encrypted>, EME, fallback body, store hint, origin-id. Returns the message id.
   */
  async sendEncrypted(to: string, plaintext: string, opts: { deviceIds?: number[]; extra?: Element[] } = {}): Promise<string> {
    const theirs = opts.deviceIds ?? (await this.devices(to));
    const ours = opts.deviceIds ? [] : (await this.devices(this.jid)).filter((id) => id !== this.deviceId);
    const targets = [...theirs.map((deviceId) => ({ jid: to, deviceId })), ...ours.map((deviceId) => ({ jid: this.jid, deviceId }))];
    if (!targets.length) throw new Error(`${to} has no OMEMO devices`);
    const recipients = await Promise.all(targets.map(async (t) => ({ ...t, bundle: (await this.bundle(t.jid, t.deviceId)) ?? undefined })));
    const encrypted = await this.device.encrypt(plaintext, recipients);
    const id = randomUUID();
    await this.xmpp.sendRaw(xml('message', { to, type: 'chat', id },
      encrypted as unknown as Element,
      xml('encryption', { xmlns: 'urn:xmpp:eme:0', namespace: NS, name: 'OMEMO' }),
      xml('body', {}, FALLBACK),
      xml('store', { xmlns: 'urn:xmpp:hints' }),
      xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }),
      xml('request', { xmlns: 'urn:xmpp:receipts' }),
      ...(opts.extra ?? [])));
    return id;
  }

  // --- rooms (XEP-0045) -------------------------------------------------------------------------------------------

  /** Joins `room` as `nick` (no history) and waits for the self-presence; returns the occupants' real JIDs seen by then. */
  async joinRoom(room: string, nick: string): Promise<Map<string, string>> {
    const self = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.jid}: no self-presence from ${room}/${nick}`)), 10_000);
      const onStanza = (el: Element) => {
        if (el.name !== 'presence' || el.attrs.from !== `${room}/${nick}`) return;
        const x = el.getChild('x', MUC_USER);
        if (el.attrs.type === 'error') {
          clearTimeout(timer);
          this.xmpp.conn.off('stanza', onStanza);
          reject(new Error(`${this.jid}: join of ${room} refused: ${el.getChild('error')?.toString()}`));
        } else if (x?.getChildren('status').some((st) => st.attrs.code === '110')) {
          clearTimeout(timer);
          this.xmpp.conn.off('stanza', onStanza);
          resolve();
        }
      };
      this.xmpp.conn.on('stanza', onStanza);
    });
    await this.xmpp.sendRaw(buildJoin({ room, nick, history: { kind: 'none' } })!);
    await self;
    this.nicks.set(room, nick);
    return this.occupants.get(room) ?? new Map();
  }

  /**
   * Creates `room` with Conversations' "private group" settings (members-only, non-anonymous, persistent) or its
   * "channel" settings (open, semi-anonymous: real JIDs for moderators only), joins it as `nick` and makes `members`
   * members. Room set-up is not what these tests check: Parley's tested stanza builders do the forms.
   */
  async createRoom(room: string, nick: string, opts: { preset: 'group' | 'channel'; members?: string[] }): Promise<void> {
    await this.joinRoom(room, nick);
    const form = parseConfigForm(await this.xmpp.conn.iq(buildConfigGet(room)!));
    if (!form.ok) throw new Error(`no configuration form for ${room}: ${JSON.stringify(form)}`);
    const group = opts.preset === 'group';
    const submit = buildSubmitForm(form.form, {
      'muc#roomconfig_persistentroom': true,
      'muc#roomconfig_membersonly': group,
      'muc#roomconfig_whois': group ? 'anyone' : 'moderators',
      'muc#roomconfig_publicroom': !group,
    });
    if (!submit.ok) throw new Error(submit.error);
    await this.xmpp.conn.iq(buildConfigSubmit(room, submit.element)!);
    if (opts.members?.length) await this.xmpp.conn.iq(buildAdminSet(room, opts.members.map((j) => admin.member(j)))!);
  }

  /**
   * Encrypts to every device of every member (and our own other devices) and sends a groupchat message as
   * Conversations does in a private group. Returns the message id (also the origin-id).
   */
  async sendEncryptedToRoom(room: string, members: string[], plaintext: string): Promise<string> {
    const others = [...new Set(members.map((m) => m.toLowerCase()))].filter((m) => m !== this.jid);
    const targets: { jid: string; deviceId: number }[] = [];
    for (const jid of others) {
      const ids = await this.devices(jid);
      if (!ids.length) throw new Error(`${jid} has no OMEMO devices`);
      targets.push(...ids.map((deviceId) => ({ jid, deviceId })));
    }
    for (const deviceId of (await this.devices(this.jid)).filter((id) => id !== this.deviceId)) targets.push({ jid: this.jid, deviceId });
    const recipients = await Promise.all(targets.map(async (t) => ({ ...t, bundle: (await this.bundle(t.jid, t.deviceId)) ?? undefined })));
    const encrypted = await this.device.encrypt(plaintext, recipients);
    const id = randomUUID();
    await this.xmpp.sendRaw(xml('message', { to: room, type: 'groupchat', id },
      encrypted as unknown as Element,
      xml('encryption', { xmlns: 'urn:xmpp:eme:0', namespace: NS, name: 'OMEMO' }),
      xml('body', {}, FALLBACK),
      xml('store', { xmlns: 'urn:xmpp:hints' }),
      xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id })));
    return id;
  }

  /** Decrypts, in arrival order and exactly once each, the incoming <encrypted> messages not looked at yet. */
  private drain(): Promise<void> {
    const run = this.processing.then(async () => {
      while (this.processed < this.xmpp.messages.length) {
        const stanza = this.xmpp.messages[this.processed++]!;
        const enc = stanza.getChild('encrypted', NS);
        if (!enc) continue;
        let from = String(stanza.attrs.from ?? '').split('/')[0]!;
        let room: { room: string; nick: string } | undefined;
        if (stanza.attrs.type === 'groupchat') {
          const [bare, nick] = String(stanza.attrs.from ?? '').split(/\/(.*)/s);
          // Our own message, reflected by the room: OMEMO never encrypts to the sending device.
          if (!bare || !nick || this.nicks.get(bare) === nick) continue;
          const real = this.occupants.get(bare)?.get(nick);
          if (!real) {
            this.failures.push({ stanza, error: `no real JID known for ${bare}/${nick}` });
            continue;
          }
          from = real;
          room = { room: bare, nick };
        }
        try {
          const keyEl = enc.getChild('header')?.getChildren('key').find((k) => Number(k.attrs.rid) === this.deviceId);
          const text = await this.device.decrypt(enc as unknown as XmlElement, from);
          this.received.push({ from, ...room, text, senderDeviceId: Number(enc.getChild('header')?.attrs.sid), prekey: keyEl?.attrs.prekey === 'true', stanza });
        } catch (e) {
          this.failures.push({ stanza, error: e instanceof Error ? e.message : String(e) });
        }
      }
    });
    this.processing = run.catch(() => undefined);
    return run;
  }

  /** The first decrypted incoming message matching `test` (already received or future). */
  async waitForDecrypted(test: (m: DecryptedMessage) => boolean, timeoutMs = 10_000): Promise<DecryptedMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.drain();
      const hit = this.received.find(test);
      if (hit) return hit;
      if (Date.now() > deadline) {
        throw new Error(`${this.jid}: no matching decrypted message in ${timeoutMs} ms; decrypted ${JSON.stringify(this.received.map((m) => m.text))}, failures ${JSON.stringify(this.failures.map((f) => f.error))}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    await this.xmpp.stop();
  }
}
