/**
 * OMEMO key distribution through PEP. Each tab is a device: it hands us its public bundle, we publish it
 * world-readable and keep the account's device list merged (devices of other clients stay; Parley devices
 * unseen for `staleAfterDays` and revoked ones go). Contacts' lists and bundles are fetched for the tabs and cached.
 * We never see private keys: only public bundles and device ids pass through here.
 */
import type { Element } from '@xmpp/xml';
import type { SessionContext } from './context.js';
import { CommandError } from './messages.js';
import {
  DEVICELIST_NODE, bundleNode, buildDeviceList, parseBundleXml, parseDeviceList, OPEN_NODE, OPEN_BUNDLE_NODE, OmemoShapeError,
} from '../stanza/omemo.js';
import { buildItemsGet, parseItems, type parseEvent } from '../stanza/pubsub.js';
import { newPublishMemory, publishWithOptions } from './pep-publish.js';
import type { OmemoPublicationDTO } from '../realtime/contract.js';

const LIST_TTL_MS = 5 * 60_000;
const BUNDLE_TTL_MS = 30 * 60_000;
/** A `fresh` bundle request still trusts a recent "no such bundle" (a dead device in a list must not cost an IQ per message). */
const MISSING_RETRY_MS = 60_000;
const ACCESS_MODEL = 'pubsub#access_model';

/** What the Security panel says when a node of ours cannot be made world-readable. */
export function closedAccessProblem(serverReason: string): string {
  return `Your server does not let this device's keys be public: contacts who are not in your roster cannot start encrypted chats (${serverReason})`;
}

interface Cached<T> {
  value: T;
  at: number;
}

export class Omemo {
  private readonly lists = new Map<string, Cached<number[]>>();
  private readonly bundles = new Map<string, Cached<string | null>>();
  /** Serialises changes to our own device list: two tabs announcing at once must not overwrite each other. */
  private ownListLock: Promise<unknown> = Promise.resolve();
  /** Fields this server refused in publish-options during this session: not offered again. */
  private readonly publishMemory = newPublishMemory();
  /** Our nodes whose access model could not be made open, with the server's reason. */
  private readonly closedNodes = new Map<string, string>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly staleAfterDays: number,
  ) {}

  /** A tab's device is alive: publish its bundle (when given) and make sure it is in the account's device list. */
  async announce(deviceId: number, bundleXml: string | null): Promise<number[]> {
    if (bundleXml !== null) {
      let bundle: Element;
      try {
        bundle = parseBundleXml(bundleXml);
      } catch (err) {
        throw new CommandError(err instanceof OmemoShapeError ? err.message : 'invalid bundle');
      }
      await this.publishOpen(bundleNode(deviceId), 'current', bundle, OPEN_BUNDLE_NODE);
      this.bundles.delete(`${this.ctx.jid}:${deviceId}`);
    }
    await this.ctx.stores.omemoDevices.touch(this.ctx.accountId, deviceId);
    return this.updateOwnList();
  }

  /** The user revoked one of the account's devices (a lost browser): never encrypt to it again. */
  async revoke(deviceId: number): Promise<number[]> {
    await this.ctx.stores.omemoDevices.revoke(this.ctx.accountId, deviceId);
    return this.updateOwnList([deviceId]);
  }

  private updateOwnList(remove: number[] = []): Promise<number[]> {
    const run = this.ownListLock.then(async () => {
      const current = await this.fetchList(this.ctx.jid);
      const known = await this.ctx.stores.omemoDevices.list(this.ctx.accountId);
      const staleBefore = Date.now() - this.staleAfterDays * 24 * 3600_000;
      const drop = new Set([...remove, ...known.filter((d) => d.revoked || d.lastSeen.getTime() < staleBefore).map((d) => d.deviceId)]);
      const keep = known.filter((d) => !drop.has(d.deviceId)).map((d) => d.deviceId);
      const merged = [...new Set([...current.filter((id) => !drop.has(id)), ...keep])];
      if (merged.length !== current.length || merged.some((id, i) => id !== current[i])) {
        await this.publishOpen(DEVICELIST_NODE, 'current', buildDeviceList(merged), OPEN_NODE);
      }
      this.lists.set(this.ctx.jid, { value: merged, at: Date.now() });
      this.ctx.emit('omemoDevices', { jid: this.ctx.jid, devices: merged });
      return merged;
    });
    this.ownListLock = run.catch(() => undefined);
    return run;
  }

  async devices(jid: string, fresh = false): Promise<number[]> {
    const hit = this.lists.get(jid);
    if (!fresh && hit && Date.now() - hit.at < LIST_TTL_MS) return hit.value;
    const value = await this.fetchList(jid);
    this.lists.set(jid, { value, at: Date.now() });
    return value;
  }

  /**
   * A device's published bundle, cached. `fresh` is for building a session: one-time prekeys get used up and replaced
   * (Profanity republishes after every PreKey message it reads), so a cached copy may offer a prekey that is gone.
   */
  async bundle(jid: string, deviceId: number, fresh = false): Promise<string | null> {
    const key = `${jid}:${deviceId}`;
    const hit = this.bundles.get(key);
    const age = hit ? Date.now() - hit.at : Infinity;
    if (hit && age < BUNDLE_TTL_MS && (!fresh || (hit.value === null && age < MISSING_RETRY_MS))) return hit.value;
    let value: string | null = null;
    try {
      const result = await this.ctx.conn.iq(buildItemsGet(jid, bundleNode(deviceId), 1));
      const payload = parseItems(result).at(-1)?.payload;
      value = payload && payload.name === 'bundle' ? payload.toString() : null;
    } catch (err) {
      // Clients that publish without publish-options (Profanity) get the server's default access model: presence.
      // Not cached: it changes as soon as the contact accepts our subscription.
      if (isRefused(err)) throw new CommandError(`${jid} shows the keys of this device to contacts only: they have to accept you as a contact`);
      if (!isMissing(err)) throw err;
    }
    this.bundles.set(key, { value, at: Date.now() });
    return value;
  }

  /** A devicelist notification (XEP-0163 +notify): refresh the cache and tell the tabs. */
  onEvent(from: string, event: NonNullable<ReturnType<typeof parseEvent>>): void {
    if (event.node !== DEVICELIST_NODE) return;
    const devices = parseDeviceList(event.items.at(-1)?.payload);
    this.lists.set(from, { value: devices, at: Date.now() });
    for (const key of this.bundles.keys()) if (key.startsWith(`${from}:`)) this.bundles.delete(key);
    this.ctx.emit('omemoDevices', { jid: from, devices });
  }

  private async fetchList(jid: string): Promise<number[]> {
    try {
      const result = await this.ctx.conn.iq(buildItemsGet(jid, DEVICELIST_NODE));
      return parseDeviceList(parseItems(result).at(-1)?.payload);
    } catch (err) {
      if (isMissing(err)) return [];
      if (isRefused(err)) throw new CommandError(`${jid} shows their OMEMO device list to contacts only: they have to accept you as a contact`);
      throw err;
    }
  }

  /** Whether our keys are world-readable, and if not why (for the Security panel). */
  publication(): OmemoPublicationDTO {
    const reason = this.closedNodes.values().next().value;
    return reason === undefined ? { open: true, problem: null } : { open: false, problem: closedAccessProblem(reason) };
  }

  /**
   * Publishes with access_model=open, falling back field by field on servers that refuse some options (pep-publish.ts).
   * The item is published even when the node cannot be opened: the user keeps encryption with contacts; the tabs are told.
   */
  private async publishOpen(node: string, itemId: string, payload: Element, options: Record<string, string>): Promise<void> {
    const outcome = await publishWithOptions((el) => this.ctx.conn.iq(el), node, itemId, payload, options, this.publishMemory);
    const before = this.publication();
    const refused = ACCESS_MODEL in options && outcome.applied[ACCESS_MODEL] !== options[ACCESS_MODEL] ? outcome.refused[ACCESS_MODEL] ?? 'no reason given' : undefined;
    if (refused === undefined) this.closedNodes.delete(node);
    else this.closedNodes.set(node, refused);
    const after = this.publication();
    if (Object.keys(outcome.refused).length > 0) this.ctx.log.warn({ node, refused: outcome.refused }, 'PEP node options refused by the server');
    if (before.open !== after.open || before.problem !== after.problem) this.ctx.emit('omemoPublication', after);
  }
}

/** XEP-0060 §6.5.9: a presence (or roster) access model refuses non-contacts with forbidden / not-authorized. */
function isRefused(err: unknown): boolean {
  const condition = (err as { condition?: string }).condition;
  return condition === 'forbidden' || condition === 'not-authorized';
}

function isMissing(err: unknown): boolean {
  const condition = (err as { condition?: string }).condition;
  return condition === 'item-not-found' || condition === 'service-unavailable' || condition === 'feature-not-implemented';
}
