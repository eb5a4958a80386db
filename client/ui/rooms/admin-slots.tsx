/**
 * Mount points for rooms-ui-admin's components (client/ui/rooms/admin/*.tsx), named in one file so the room UI marks
 * where they go: the invitations above the rooms (read from the rooms store), the create button, the room's admin
 * menu and each occupant's actions.
 */
import type { OccupantDTO, RoomDTO } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { CreateRoomButton } from './admin/create-room.js';
import { lazyComponent } from '../lazy.js';

// What only a room that is open (or an invitation, which comes after the first paint) shows: loaded when needed.
const InvitationsList = lazyComponent(() => import('./admin/invitations.js').then((m) => m.InvitationsList));
const RoomAdminMenu = lazyComponent(() => import('./admin/room-admin-menu.js').then((m) => m.RoomAdminMenu));
const OccupantActions = lazyComponent(() => import('./admin/occupant-actions.js').then((m) => m.OccupantActions));

export type SlotProps =
  | { name: 'InvitationsList' }
  | { name: 'CreateRoomButton' }
  | { name: 'RoomAdminMenu'; room: RoomDTO }
  | { name: 'OccupantActions'; room: RoomDTO; occupant: OccupantDTO };

export function AdminSlot(props: SlotProps) {
  switch (props.name) {
    case 'InvitationsList':
      return <StoredInvitations />;
    case 'CreateRoomButton':
      return <CreateRoomButton />;
    case 'RoomAdminMenu':
      return <RoomAdminMenu room={props.room} />;
    case 'OccupantActions':
      return <OccupantActions room={props.room} occupant={props.occupant} />;
  }
}

function StoredInvitations() {
  const { state } = useServices();
  state.rooms.revision.value;
  const invitations = state.rooms.invitations();
  // None (as at the first paint, before the snapshot): the list would show nothing, so its chunk need not load yet.
  return invitations.length ? <InvitationsList invitations={invitations} /> : null;
}
