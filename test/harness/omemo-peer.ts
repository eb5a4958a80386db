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

const NS = 'eu.siacs.conversations.axolotl';
const DEVICELIST = `${NS}.devicelist`;
const bundleNode = (id: number) => `${NS}.bundles:${id}`;
const PUBSUB = 'http://jabber.org/protocol/pubsub';
export const FALLBACK = 'I sent you an OMEMO encrypted message but your client doesn’t seem to support that.';

export interface DecryptedMessage {
  from: string;
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

  private constructor(readonly xmpp: XmppPeer, readonly device: ReferenceDevice) {}

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

  /** Decrypts, in arrival order and exactly once each, the incoming <encrypted> messages not looked at yet. */
  private drain(): Promise<void> {
    const run = this.processing.then(async () => {
      while (this.processed < this.xmpp.messages.length) {
        const stanza = this.xmpp.messages[this.processed++]!;
        const enc = stanza.getChild('encrypted', NS);
        if (!enc) continue;
        const from = String(stanza.attrs.from ?? '').split('/')[0]!;
        try {
          const keyEl = enc.getChild('header')?.getChildren('key').find((k) => Number(k.attrs.rid) === this.deviceId);
          const text = await this.device.decrypt(enc as unknown as XmlElement, from);
          this.received.push({ from, text, senderDeviceId: Number(enc.getChild('header')?.attrs.sid), prekey: keyEl?.attrs.prekey === 'true', stanza });
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
