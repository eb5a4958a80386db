/**
 * The rooms-admin parts of one account session, built together over the registry (rooms-core): bookmarks,
 * invitations and administration, and the few hooks the session calls. See plug-in notes in AccountSession.
 */
import type { Element } from '@xmpp/xml';
import type { RoomRegistryPort } from './ports.js';
import type { RoomsAdminContext } from './context.js';
import { RoomBookmarks } from './bookmarks.js';
import { Invitations, type InvitationLimits } from './invitations.js';
import { RoomAdmin, type RoomRow } from './admin.js';
import { NS_BOOKMARKS2 } from '../../stanza/bookmarks.js';

export interface RoomsAdministrationDeps {
  isContact(bare: string): boolean;
  isBlocked(bare: string): boolean;
  row(id: string): Promise<RoomRow | null>;
  invitationLimits?: Partial<InvitationLimits>;
}

export class RoomsAdministration {
  readonly bookmarks: RoomBookmarks;
  readonly invitations: Invitations;
  readonly admin: RoomAdmin;

  constructor(ctx: RoomsAdminContext, registry: RoomRegistryPort, deps: RoomsAdministrationDeps) {
    this.bookmarks = new RoomBookmarks(ctx, registry);
    this.invitations = new Invitations(ctx, registry, {
      isContact: deps.isContact,
      isBlocked: deps.isBlocked,
      // An accepted invitation is a join from a tab: bookmarked with autojoin.
      joined: (room, password) => this.bookmarks.save({ room: room.jid, name: room.name, nick: room.nick, password, autojoin: true }),
      ...(deps.invitationLimits ? { limits: deps.invitationLimits } : {}),
    });
    this.admin = new RoomAdmin(ctx, registry, this.bookmarks, { row: deps.row });
  }

  /** PEP events: true when it was the bookmarks node (handled here). */
  onEvent(from: string, event: { node: string; items: { id: string | null; payload: Element | null }[] }, message: Element): boolean {
    if (event.node !== NS_BOOKMARKS2) return false;
    this.bookmarks.onEvent(from, event, message);
    return true;
  }
}
