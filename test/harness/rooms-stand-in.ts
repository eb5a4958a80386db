/**
 * TEST-ONLY stand-in for rooms-core's room registry (server/features/rooms/registry.ts, merged separately): joins with
 * buildJoin over a session's own connection and keeps occupants, so rooms-admin's parts can be tested end to end
 * before the registry exists. Delete once the registry is merged and attached by AccountSession itself.
 */
import type { Element } from '@xmpp/xml';
import type { XmppConnection } from '../../server/xmpp/connection.js';
import type { JoinOptions, RoomRegistryPort, RoomView } from '../../server/features/rooms/ports.js';
import type { RoomDTO, RoomFeaturesDTO } from '../../server/realtime/contract/rooms.js';
import { buildDiscoInfoGet, buildJoin, buildLeave, parseOccupantPresence, parseRoomInfo, type Occupant, type RoomInfo } from '../../server/stanza/muc.js';

const NO_FEATURES: RoomFeaturesDTO = { membersOnly: false, nonAnonymous: false, persistent: false, passwordProtected: false, public: null, moderated: false, mam: false, moderation: false };

function featuresOf(info: RoomInfo | null): RoomFeaturesDTO {
  if (!info) return NO_FEATURES;
  return {
    membersOnly: info.membersOnly, nonAnonymous: info.nonAnonymous, persistent: info.persistent, passwordProtected: info.passwordProtected,
    public: info.isPublic, moderated: info.moderated, mam: info.mam, moderation: info.moderation !== null,
  };
}

interface StandInRoom {
  nick: string;
  state: RoomDTO['state'];
  features: RoomFeaturesDTO;
  occupants: Map<string, Occupant>;
  bookmarked: boolean;
  autojoin: boolean;
  name: string | null;
  error: string | null;
}

/** Test-only registry: joins over the session's connection and keeps occupants; what rooms-core's registry does for real. */
export class StandInRegistry implements RoomRegistryPort {
  readonly rooms = new Map<string, StandInRoom>();
  private waiters: { room: string; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly conn: XmppConnection) {
    conn.on('stanza', (el: Element) => this.onStanza(el));
  }

  private onStanza(el: Element): void {
    if (el.name !== 'presence') return;
    const p = parseOccupantPresence(el);
    if (!p) return;
    const room = this.rooms.get(p.kind === 'error' ? p.room : p.occupant.room);
    if (!room) return;
    if (p.kind === 'error') {
      room.state = 'left';
      room.error = p.reason;
      this.settle(p.room, new Error(p.reason));
      return;
    }
    if (p.occupant.available) room.occupants.set(p.occupant.nick, p.occupant);
    else room.occupants.delete(p.occupant.nick);
    if (p.self) {
      room.state = p.occupant.available ? 'joined' : 'left';
      if (p.occupant.available) {
        room.nick = p.occupant.nick;
        this.settle(p.occupant.room, null);
      }
    }
  }

  private settle(room: string, err: Error | null): void {
    this.waiters = this.waiters.filter((w) => (w.room === room ? (err ? w.reject(err) : w.resolve(), false) : true));
  }

  get(room: string): RoomView | undefined {
    const r = this.rooms.get(room);
    if (!r) return undefined;
    return {
      jid: room, nick: r.nick, state: r.state, features: r.features,
      occupant: (nick) => r.occupants.get(nick),
      realJids: () => [...r.occupants.values()].flatMap((o) => (o.jid ? [o.jid.split('/')[0]!] : [])),
    };
  }

  list(): RoomView[] {
    return [...this.rooms.keys()].map((k) => this.get(k)!);
  }

  async join(room: string, opts: JoinOptions = {}): Promise<RoomDTO> {
    const known = this.rooms.get(room);
    if (known?.state === 'joined' || known?.state === 'joining') return this.dto(room)!;
    // Registered at once, as a registry does: a setBookmark while we wait lands on this room.
    const r: StandInRoom = known ?? { nick: '', state: 'joining', features: NO_FEATURES, occupants: new Map(), bookmarked: false, autojoin: false, name: null, error: null };
    r.state = 'joining';
    r.nick = opts.nick ?? this.conn.bareJid.split('@')[0]!;
    this.rooms.set(room, r);
    const info = await this.conn.iq(buildDiscoInfoGet(room)).then(parseRoomInfo, () => null);
    r.features = featuresOf(info);
    const joined = new Promise<void>((resolve, reject) => this.waiters.push({ room, resolve, reject }));
    await this.conn.send(buildJoin({ room, nick: r.nick, ...(opts.password ? { password: opts.password } : {}), history: { kind: 'none' } })!);
    try {
      await joined;
    } catch (err) {
      if (opts.quiet) return this.dto(room)!;
      throw err;
    }
    // The room's features as disco#info says once it exists (a new room is configured after the join).
    if (!info) r.features = featuresOf(await this.conn.iq(buildDiscoInfoGet(room)).then(parseRoomInfo, () => null));
    return this.dto(room)!;
  }

  async refresh(room: string): Promise<void> {
    const r = this.rooms.get(room)!;
    r.features = featuresOf(await this.conn.iq(buildDiscoInfoGet(room)).then(parseRoomInfo, () => null));
  }

  async leave(room: string, forget: boolean): Promise<void> {
    const r = this.rooms.get(room);
    if (!r) return;
    if (r.state !== 'left') await this.conn.send(buildLeave(room, r.nick)!);
    r.state = 'left';
    if (forget) this.rooms.delete(room);
  }

  dto(room: string): RoomDTO | undefined {
    const r = this.rooms.get(room);
    if (!r) return undefined;
    const self = r.occupants.get(r.nick);
    return {
      jid: room, name: r.name, description: null, nick: r.nick, state: r.state, error: null, subject: null, subjectBy: null,
      role: self?.role ?? 'none', affiliation: self?.affiliation ?? 'none', features: r.features, omemo: { allowed: false, reason: null },
      occupantCount: r.occupants.size, bookmarked: r.bookmarked, autojoin: r.autojoin, unread: 0, mentions: 0,
    };
  }

  setBookmark(room: string, b: { bookmarked: boolean; autojoin: boolean; name?: string | null }): void {
    const r = this.rooms.get(room) ?? { nick: '', state: 'left' as const, features: NO_FEATURES, occupants: new Map(), bookmarked: false, autojoin: false, name: null, error: null };
    r.bookmarked = b.bookmarked;
    r.autojoin = b.autojoin;
    if (b.name !== undefined) r.name = b.name;
    this.rooms.set(room, r);
  }
}

