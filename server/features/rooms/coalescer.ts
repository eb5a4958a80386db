/**
 * Occupant changes of one room, batched before they reach the tabs: at most one `occupants` delta per room per
 * window (~100 ms), whatever the rate of presences. A 5,000-occupant join burst becomes a few deltas, each bounded
 * (what does not fit waits for the next window), with the compact "who joined / left" summary counted.
 */
import type { OccupantDTO, OccupantsDeltaDTO } from '../../realtime/contract/rooms.js';

/** Occupants named in one delta's present+gone; the rest go out in the next window. */
export const MAX_PER_DELTA = 1000;
/** Nicks named in the joined/left summary (the totals still count them all). */
export const SUMMARY_NICKS = 20;

export class OccupantCoalescer {
  private present = new Map<string, OccupantDTO>();
  /** Nicks that joined in this window and were not sent yet: the tabs never knew them. */
  private fresh = new Set<string>();
  private gone = new Set<string>();
  private joined: string[] = [];
  private joinedTotal = 0;
  private left: string[] = [];
  private leftTotal = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastFlush = 0;

  constructor(
    private readonly room: string,
    private readonly count: () => number,
    private readonly send: (delta: OccupantsDeltaDTO) => void,
    private readonly windowMs = 100,
  ) {}

  /** An occupant joined or changed (its newest state replaces any earlier one in the window). */
  presentOccupant(o: OccupantDTO, joined: boolean): void {
    // Gone then back in one window: the tabs knew it before, so it is an update, not a join they never heard of.
    const wasGone = this.gone.delete(o.nick);
    this.present.set(o.nick, o);
    if (joined && !wasGone) this.fresh.add(o.nick);
    if (joined) {
      this.joinedTotal++;
      if (this.joined.length < SUMMARY_NICKS) this.joined.push(o.nick);
    }
    this.schedule();
  }

  /** An occupant left (`left`: counted in the summary; false for a nick change). */
  goneOccupant(nick: string, left: boolean): void {
    // Joined and gone in the same window: the tab never needs to hear of it, but the summary still counts both.
    // So `gone` only names nicks the tabs know: bounded by the occupant table, whatever a room floods.
    this.present.delete(nick);
    if (this.fresh.delete(nick)) {
      /* never sent: nothing to take back */
    } else this.gone.add(nick);
    if (left) {
      this.leftTotal++;
      if (this.left.length < SUMMARY_NICKS) this.left.push(nick);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.windowMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }

  /** Sends what is pending now (also on leave, so nothing is lost). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.present.size === 0 && this.gone.size === 0 && this.joinedTotal === 0 && this.leftTotal === 0) return;
    this.lastFlush = Date.now();
    const gone: string[] = [];
    for (const nick of this.gone) {
      if (gone.length >= MAX_PER_DELTA) break;
      gone.push(nick);
      this.gone.delete(nick);
    }
    const present: OccupantDTO[] = [];
    for (const [nick, o] of this.present) {
      if (gone.length + present.length >= MAX_PER_DELTA) break;
      present.push(o);
      this.present.delete(nick);
      this.fresh.delete(nick);
    }
    const delta: OccupantsDeltaDTO = {
      room: this.room,
      present,
      gone,
      count: this.count(),
      joined: { nicks: this.joined, total: this.joinedTotal },
      left: { nicks: this.left, total: this.leftTotal },
    };
    this.joined = [];
    this.left = [];
    this.joinedTotal = this.leftTotal = 0;
    this.send(delta);
    if (this.present.size > 0 || this.gone.size > 0) this.schedule();
  }

  /** Drops what is pending (the room is gone or being rejoined from scratch). */
  reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.present.clear();
    this.fresh.clear();
    this.gone.clear();
    this.joined = [];
    this.left = [];
    this.joinedTotal = this.leftTotal = 0;
  }
}
