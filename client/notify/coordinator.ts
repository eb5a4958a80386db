/**
 * One notification per message for the whole browser, however many tabs of the account are open.
 *
 * One tab is the leader: it holds a Web Lock named after the account for as long as it lives (the next tab in the
 * lock's queue takes over when it closes), and only the leader shows notifications. Every tab tells the others over a
 * BroadcastChannel whether its page is visible (on every change, every HEARTBEAT_MS, and when a new leader asks);
 * the leader shows nothing while any tab of the browser is visible, and each message id at most once.
 * Pure logic over small interfaces (lock, channel, clock), so that it is unit-tested with fakes.
 */

export type NotifyWire =
  | { kind: 'visibility'; tab: string; visible: boolean }
  | { kind: 'bye'; tab: string }
  /** A new leader asks every tab for its visibility. */
  | { kind: 'ask' };

export interface NotifyChannel {
  post(message: NotifyWire): void;
  onMessage(listener: (message: NotifyWire) => void): void;
}

/** Calls `onLeader` once this tab holds the leader lock (it keeps it until the tab goes away). */
export type LeaderLock = (onLeader: () => void) => void;

export interface Incoming {
  id: string;
  peer: string;
  title: string;
  /** The text to show; for an encrypted message only what this tab could decrypt. */
  body: () => Promise<string>;
}

export interface CoordinatorDeps {
  tab: string;
  channel: NotifyChannel;
  lock: LeaderLock;
  visible: () => boolean;
  /** Notifications turned on in this browser and allowed by it. */
  enabled: () => boolean;
  muted: (peer: string) => boolean;
  show: (n: { title: string; body: string; peer: string }) => void;
  now?: () => number;
}

/** A tab that has not said anything for this long counts as gone (a crash sends no 'bye'). */
export const STALE_MS = 30_000;
export const HEARTBEAT_MS = 10_000;
/** Message ids remembered against a second notification. */
const SEEN_LIMIT = 1000;

export class NotifyCoordinator {
  private leader = false;
  private readonly others = new Map<string, { visible: boolean; at: number }>();
  private readonly seen = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly deps: CoordinatorDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.deps.channel.onMessage((m) => this.receive(m));
    this.announce();
    this.deps.lock(() => {
      this.leader = true;
      this.deps.channel.post({ kind: 'ask' });
    });
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** On visibilitychange and on the heartbeat. */
  announce(): void {
    this.deps.channel.post({ kind: 'visibility', tab: this.deps.tab, visible: this.deps.visible() });
  }

  /** On pagehide. */
  leave(): void {
    this.deps.channel.post({ kind: 'bye', tab: this.deps.tab });
  }

  /** Whether some tab of this browser (this one included) is visible now. */
  anyVisible(): boolean {
    if (this.deps.visible()) return true;
    const cutoff = this.now() - STALE_MS;
    for (const [tab, s] of this.others) {
      if (s.at < cutoff) this.others.delete(tab);
      else if (s.visible) return true;
    }
    return false;
  }

  /** Every tab calls this for every new incoming message; only the leader may show it, and only once. */
  async offer(m: Incoming): Promise<boolean> {
    if (!this.leader || this.seen.has(m.id)) return false;
    if (!this.deps.enabled() || this.deps.muted(m.peer) || this.anyVisible()) return false;
    this.remember(m.id);
    const body = await m.body();
    // Decrypting took a moment: someone may have come back meanwhile.
    if (this.anyVisible()) return false;
    this.deps.show({ title: m.title, body, peer: m.peer });
    return true;
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);
  }

  private receive(m: NotifyWire): void {
    if (m.kind === 'ask') this.announce();
    else if (m.kind === 'bye') this.others.delete(m.tab);
    else if (m.tab !== this.deps.tab) this.others.set(m.tab, { visible: m.visible, at: this.now() });
  }
}

/** The browser's BroadcastChannel and Web Locks behind the coordinator's interfaces. */
export function browserCoordinator(account: string, deps: Omit<CoordinatorDeps, 'tab' | 'channel' | 'lock'>): NotifyCoordinator | null {
  if (typeof BroadcastChannel === 'undefined' || !navigator.locks) return null;
  const bc = new BroadcastChannel(`parley-notify:${account}`);
  const channel: NotifyChannel = {
    post: (message) => bc.postMessage(message),
    onMessage: (listener) => bc.addEventListener('message', (e: MessageEvent) => listener(e.data as NotifyWire)),
  };
  // Held until the tab goes away: the promise never settles.
  const lock: LeaderLock = (onLeader) => {
    void navigator.locks.request(`parley-notify-leader:${account}`, () => {
      onLeader();
      return new Promise<never>(() => undefined);
    });
  };
  const tab = crypto.randomUUID();
  const c = new NotifyCoordinator({ ...deps, tab, channel, lock });
  c.start();
  document.addEventListener('visibilitychange', () => c.announce());
  window.addEventListener('pagehide', () => c.leave());
  setInterval(() => c.announce(), HEARTBEAT_MS);
  return c;
}

/**
 * Whether an incoming message notifies, and under which title. Direct chats: every message. Rooms: only a message that
 * mentions our nick (one notification per mention, the coordinator keeps each id once), never the room's chatter.
 * MUC-PMs: every message, titled as a private message through the room so it is never taken for a direct chat.
 */
export function notificationTitle(
  m: { peer: string; nick?: string | undefined; mentionsMe?: boolean | undefined },
  kind: 'chat' | 'room' | 'pm',
  names: { contact: (jid: string) => string; room: (jid: string) => string; mention: (nick: string, room: string) => string; pm: (nick: string, room: string) => string },
): string | null {
  if (kind === 'chat') return names.contact(m.peer);
  const slash = m.peer.indexOf('/');
  if (kind === 'pm') return slash < 0 ? null : names.pm(m.peer.slice(slash + 1), names.room(m.peer.slice(0, slash)));
  return m.mentionsMe === true ? names.mention(m.nick ?? '', names.room(m.peer)) : null;
}
