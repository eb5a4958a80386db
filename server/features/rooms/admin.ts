/**
 * Room administration for those allowed: creating rooms with Conversations' presets, the owner's configuration form,
 * destruction, invitations sent, the affiliation lists, roles and affiliations, message moderation (XEP-0425), and
 * the member list private groups encrypt to. Every refusal of the room reaches the tab as a clear CommandError.
 */
import type { RoomRegistryPort, RoomView } from './ports.js';
import type { RoomsAdminContext } from './context.js';
import type { RoomBookmarks } from './bookmarks.js';
import type { AffiliationItemDTO, DataFormDTO, RoomDTO } from '../../realtime/contract/rooms.js';
import {
  admin as adminChange, buildAdminGet, buildAdminSet, buildConfigGet, buildConfigSubmit, buildDestroy, buildDirectInvite, buildDiscoInfoGet,
  buildMediatedInvite, buildModerate, parseAdminItems, parseConfigForm, parseRoomInfo, type Affiliation, type RoomInfo, type Role,
} from '../../stanza/muc.js';
import { buildSubmitForm, type DataForm } from '../../stanza/data-form.js';
import { XmppStanzaError } from '../../xmpp/errors.js';
import { CommandError } from '../messages.js';
import { explained } from './iq-errors.js';
import { presetAnswers, type RoomPreset } from './presets.js';
import { answersFromValues, formErrorText, formToDTO } from './form-dto.js';

/** Items of one affiliation list we read (a room listing more is cut). */
export const MAX_LIST_ITEMS = 2000;
/** Member JIDs handed to OMEMO for one room. */
export const MAX_MEMBERS = 5000;

/** What moderation needs of a stored message row. */
export interface RoomRow {
  peer: string;
  type: string;
  /** The room's stanza-id (by = the room), under which its archive and moderation know the message. */
  stanzaId: string | null;
}

export interface RoomAdminDeps {
  /** A message row of this account by its id (null when it is not ours or does not exist). */
  row(id: string): Promise<RoomRow | null>;
}

export class RoomAdmin {
  constructor(
    private readonly ctx: RoomsAdminContext,
    private readonly registry: RoomRegistryPort,
    private readonly bookmarks: Pick<RoomBookmarks, 'save' | 'remove' | 'get'>,
    private readonly deps: RoomAdminDeps,
  ) {}

  private joined(room: string): RoomView {
    const view = this.registry.get(room);
    if (!view || view.state === 'left') throw new CommandError('You are not in that room.');
    return view;
  }

  /** The room's disco#info, or null when it does not exist. */
  private async info(room: string): Promise<RoomInfo | null> {
    try {
      return parseRoomInfo(await this.ctx.conn.iq(buildDiscoInfoGet(room)));
    } catch (err) {
      if (err instanceof XmppStanzaError && err.condition === 'item-not-found') return null;
      throw err;
    }
  }

  // ------------------------------------------------------------------ create, configure, destroy

  async create(c: { room: string; preset: RoomPreset; name?: string; nick?: string; members: string[] }): Promise<RoomDTO> {
    const existing = await explained('Creating the room', () => this.info(c.room));
    if (existing) throw new CommandError('That room exists already: join it instead, or choose another address.');
    const joined = await this.registry.join(c.room, c.nick ? { nick: c.nick } : {}).catch((err: unknown) => {
      throw new CommandError(`Creating the room failed: ${err instanceof Error ? err.message.slice(0, 200) : 'the service refused'}`);
    });
    // Not the owner: someone created it between our look and our join (no status 201 for us). Not ours to configure.
    if (joined.affiliation !== 'owner') {
      await this.registry.leave(c.room, true).catch(() => undefined);
      throw new CommandError('That room exists already: join it instead, or choose another address.');
    }
    try {
      const form = await this.form(c.room);
      const submit = buildSubmitForm(form, presetAnswers(form, c.preset, c.name));
      if (!submit.ok) throw new CommandError(`Configuring the new room failed: ${submit.error}`);
      await explained('Configuring the new room', () => this.ctx.conn.iq(buildConfigSubmit(c.room, submit.element)!));
    } catch (err) {
      // A new room never configured stays locked; leaving it lets the service drop it (Prosody does at once).
      await this.registry.leave(c.room, true).catch(() => undefined);
      throw err;
    }
    await this.bookmarks
      .save({ room: c.room, name: c.name ?? null, nick: joined.nick, password: null, autojoin: true })
      .catch((err: unknown) => this.ctx.log.warn({ err }, 'bookmarking a new room failed'));
    const members = [...new Set(c.members.filter((m) => m !== this.ctx.jid))];
    // One item per request: Prosody 0.12 applies only the first <item/> of a muc#admin set and ignores the rest.
    for (const m of members) {
      const set = buildAdminSet(c.room, [adminChange.member(m)]);
      if (set) await explained('The room was created, but adding the members failed', () => this.ctx.conn.iq(set));
    }
    // Joined before it was configured: its features (members-only, non-anonymous) are read again.
    return (await this.registry.refresh(c.room)) ?? joined;
  }

  /** The room's configuration form, parsed and bounded (a hostile room's giant form is refused whole). */
  private async form(room: string): Promise<DataForm> {
    const get = buildConfigGet(room);
    if (!get) throw new CommandError('That is not a room address.');
    const iq = await explained('Reading the room configuration', () => this.ctx.conn.iq(get));
    const parsed = parseConfigForm(iq);
    if (!parsed.ok) throw new CommandError(formErrorText(parsed.error));
    return parsed.form;
  }

  async config(room: string): Promise<DataFormDTO> {
    return formToDTO(await this.form(room));
  }

  /** Values by field var, checked against the form the room offers now (fetched again: it may have changed). */
  async configure(room: string, values: Record<string, string[]>): Promise<void> {
    const form = await this.form(room);
    const answers = answersFromValues(form, values);
    if (!answers.ok) throw new CommandError(answers.error);
    const submit = buildSubmitForm(form, answers.answers);
    if (!submit.ok) throw new CommandError(`The configuration was not sent: ${submit.error.slice(0, 300)}`);
    await explained('Configuring the room', () => this.ctx.conn.iq(buildConfigSubmit(room, submit.element)!));
    await this.registry.refresh(room);
  }

  async destroy(room: string, reason?: string, alternate?: string): Promise<void> {
    const iq = buildDestroy(room, { ...(reason ? { reason } : {}), ...(alternate ? { alternate } : {}) });
    if (!iq) throw new CommandError('The reason or the alternate address cannot be sent.');
    await explained('Destroying the room', () => this.ctx.conn.iq(iq));
    await this.bookmarks.remove(room).catch((err: unknown) => this.ctx.log.warn({ err }, 'removing the bookmark of a destroyed room failed'));
    await this.registry.leave(room, true).catch(() => undefined);
  }

  // ------------------------------------------------------------------ invitations we send

  async invite(c: { room: string; jid: string; reason?: string; mode: 'direct' | 'mediated' }): Promise<void> {
    const view = this.joined(c.room);
    if (c.jid === this.ctx.jid) throw new CommandError('You cannot invite yourself.');
    if (c.mode === 'mediated') {
      const msg = buildMediatedInvite(c.room, c.jid, c.reason);
      if (!msg) throw new CommandError('That invitation cannot be sent.');
      await this.ctx.conn.send(msg);
      return;
    }
    // A direct invitation alone does not open a members-only room: make them a member first when we may.
    const us = view.occupant(view.nick);
    if (view.features.membersOnly && (us?.affiliation === 'owner' || us?.affiliation === 'admin')) {
      const set = buildAdminSet(c.room, [adminChange.member(c.jid)]);
      if (set) await explained('Making them a member', () => this.ctx.conn.iq(set));
    }
    // XEP-0249: the room's password travels with the invitation (as we keep it in the bookmark).
    const password = this.bookmarks.get(c.room)?.password ?? undefined;
    const msg = buildDirectInvite(c.jid, c.room, { ...(c.reason ? { reason: c.reason } : {}), ...(password ? { password } : {}) });
    if (!msg) throw new CommandError('That invitation cannot be sent.');
    await this.ctx.conn.send(msg);
  }

  // ------------------------------------------------------------------ moderation

  async affiliations(room: string, affiliation: Exclude<Affiliation, 'none'>): Promise<AffiliationItemDTO[]> {
    return (await this.list(room, affiliation)).items;
  }

  private async list(room: string, affiliation: Exclude<Affiliation, 'none'>): Promise<{ items: AffiliationItemDTO[]; truncated: boolean }> {
    const get = buildAdminGet(room, { affiliation });
    if (!get) throw new CommandError('That is not a room address.');
    const result = parseAdminItems(await explained(`Reading the ${affiliation} list`, () => this.ctx.conn.iq(get)), MAX_LIST_ITEMS);
    if (!result) throw new CommandError(`The room sent no ${affiliation} list.`);
    const items = result.items.flatMap((i) => (i.jid ? [{ jid: i.jid, affiliation: i.affiliation ?? affiliation, nick: i.nick, reason: i.reason }] : []));
    return { items, truncated: result.truncated };
  }

  async setAffiliation(room: string, jid: string, affiliation: Affiliation, reason?: string): Promise<void> {
    const set = buildAdminSet(room, [{ kind: 'affiliation', jid, affiliation, ...(reason ? { reason } : {}) }]);
    if (!set) throw new CommandError('That change cannot be sent (address or reason).');
    await explained('Changing the affiliation', () => this.ctx.conn.iq(set));
  }

  async setRole(room: string, nick: string, role: Role, reason?: string): Promise<void> {
    const set = buildAdminSet(room, [{ kind: 'role', nick, role, ...(reason ? { reason } : {}) }]);
    if (!set) throw new CommandError('That change cannot be sent (nickname or reason).');
    await explained(role === 'none' ? 'Kicking' : 'Changing the role', () => this.ctx.conn.iq(set));
  }

  /** XEP-0425: the room retracts the message for everyone, known to it by its own stanza-id. */
  async moderate(room: string, id: string, reason?: string): Promise<void> {
    const row = await this.deps.row(id);
    if (!row || row.peer !== room || row.type !== 'groupchat') throw new CommandError('No such message in this room.');
    if (!row.stanzaId) throw new CommandError('The room gave that message no id: it cannot be moderated.');
    const info = await explained('Reading the room features', () => this.info(room));
    if (!info) throw new CommandError('There is no such room.');
    if (info.moderation === null) throw new CommandError('This room’s service does not support message moderation (XEP-0425).');
    const iq = buildModerate(room, row.stanzaId, info.moderation, reason);
    if (!iq) throw new CommandError('That moderation cannot be sent.');
    await explained('Moderating the message', () => this.ctx.conn.iq(iq));
  }

  /**
   * Everyone a private group's messages are encrypted to: owners, admins and members, and the occupants' real JIDs.
   * Only rooms that are members-only and non-anonymous: elsewhere the list would be incomplete or not ours to see.
   */
  async members(room: string): Promise<string[]> {
    const view = this.joined(room);
    if (!view.features.membersOnly || !view.features.nonAnonymous) {
      const why = [!view.features.membersOnly ? 'open to anyone' : null, !view.features.nonAnonymous ? 'hides real addresses' : null].filter(Boolean).join(' and ');
      throw new CommandError(`Members are listed only for private groups (members-only and non-anonymous); this room is ${why}.`);
    }
    const out = new Set<string>();
    for (const affiliation of ['owner', 'admin', 'member'] as const) {
      try {
        for (const i of (await this.list(room, affiliation)).items) out.add(i.jid);
      } catch (err) {
        // A member may not be allowed to read every list: the occupants' real JIDs still count.
        if (!(err instanceof CommandError)) throw err;
        this.ctx.log.debug({ room, affiliation }, 'affiliation list not readable');
      }
    }
    for (const j of view.realJids()) out.add(j.toLowerCase());
    return [...out].slice(0, MAX_MEMBERS).sort();
  }
}
