/**
 * XEP-0410 self-ping: a room silent for a while may have forgotten us (a restarted service, a netsplit) without
 * telling. Every `silenceMs` of silence from a room the registry pings our own occupant JID; 'not-joined' means
 * rejoin. The timer only runs while there are rooms to watch.
 */
export interface SelfPingTiming {
  /** Silence from a room after which we ping it (XEP-0410 suggests minutes; tests use less). */
  silenceMs: number;
  /** How often the silence is checked. */
  checkMs: number;
}

export const DEFAULT_SELF_PING: SelfPingTiming = { silenceMs: 5 * 60_000, checkMs: 30_000 };

export class SelfPinger {
  private readonly lastHeard = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly timing: SelfPingTiming,
    /** Pings one room; resolves when the verdict was acted on. */
    private readonly ping: (room: string) => Promise<void>,
  ) {}

  /** Something arrived from the room (or we just joined it). */
  heard(room: string): void {
    this.lastHeard.set(room, Date.now());
    this.start();
  }

  forget(room: string): void {
    this.lastHeard.delete(room);
    if (this.lastHeard.size === 0) this.stop();
  }

  /** Pings every watched room now (after a stream resumption). */
  pingAll(): void {
    for (const room of this.lastHeard.keys()) this.run(room);
  }

  private run(room: string): void {
    if (this.inFlight.has(room)) return;
    this.inFlight.add(room);
    // The ping itself counts as contact: a room is not pinged again until a full silence has passed.
    this.lastHeard.set(room, Date.now());
    void this.ping(room).finally(() => this.inFlight.delete(room));
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const [room, at] of this.lastHeard) if (now - at >= this.timing.silenceMs) this.run(room);
    }, Math.max(10, Math.min(this.timing.checkMs, this.timing.silenceMs)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
