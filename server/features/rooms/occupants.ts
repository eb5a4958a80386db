/**
 * One room's occupants, in memory (Map nick → Occupant), bounded: past `max` available occupants the table only
 * counts, so a room with a million occupants (or a flood of fake joins) cannot grow the server's memory.
 */
import type { Occupant } from '../../stanza/muc.js';

export const MAX_OCCUPANTS_PER_ROOM = 20_000;

export type OccupantChange =
  /** Joined (new nick) or changed (show, role...). */
  | { kind: 'present'; occupant: Occupant; joined: boolean }
  /** Gone (left, kicked, nick changed: the new nick comes as its own presence). */
  | { kind: 'gone'; nick: string; occupant: Occupant | null }
  | { kind: 'none' };

export class OccupantTable {
  private readonly byNick = new Map<string, Occupant>();
  /** Available occupants past the bound: counted, not kept. */
  private overflow = new Set<string>();

  constructor(readonly max = MAX_OCCUPANTS_PER_ROOM) {}

  /** Applies one occupant presence (available or unavailable). */
  apply(o: Occupant): OccupantChange {
    if (o.available) {
      const had = this.byNick.get(o.nick);
      if (had || this.byNick.size < this.max) {
        this.byNick.set(o.nick, o);
        return { kind: 'present', occupant: o, joined: !had };
      }
      // Over the bound: a count only (a set of nicks, itself bounded, so a re-sent presence is not counted twice).
      if (this.overflow.size < this.max) this.overflow.add(o.nick);
      return { kind: 'none' };
    }
    const had = this.byNick.get(o.nick) ?? null;
    if (had) {
      this.byNick.delete(o.nick);
      return { kind: 'gone', nick: o.nick, occupant: had };
    }
    this.overflow.delete(o.nick);
    return { kind: 'none' };
  }

  get(nick: string): Occupant | undefined {
    return this.byNick.get(nick);
  }

  has(nick: string): boolean {
    return this.byNick.has(nick) || this.overflow.has(nick);
  }

  /** Available occupants, counted ones included. */
  get count(): number {
    return this.byNick.size + this.overflow.size;
  }

  list(): Occupant[] {
    return [...this.byNick.values()];
  }

  /** Real bare JIDs the room shows, distinct. */
  realJids(): string[] {
    const out = new Set<string>();
    for (const o of this.byNick.values()) if (o.jid) out.add(o.jid.split('/')[0]!.toLowerCase());
    return [...out];
  }

  clear(): void {
    this.byNick.clear();
    this.overflow.clear();
  }

  /** A free nickname near `nick` for a conflict: nick_, then nick2 … nick99, none taken among the occupants. */
  suggest(nick: string): string {
    const candidates = [`${nick}_`, ...Array.from({ length: 98 }, (_, i) => `${nick}${i + 2}`)];
    return candidates.find((c) => !this.has(c)) ?? `${nick}_${Date.now() % 10_000}`;
  }
}
