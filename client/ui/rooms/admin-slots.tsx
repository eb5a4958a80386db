/**
 * Mount points for rooms-ui-admin's components (client/ui/rooms/admin/*.tsx), named in one file so the room UI marks
 * where they go: the invitations above the rooms (read from the rooms store), the create button, the room's admin
 * menu and each occupant's actions.
 */
import type { OccupantDTO, RoomDTO } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { InvitationsList } from './admin/invitations.js';
import { CreateRoomButton } from './admin/create-room.js';
import { RoomAdminMenu } from './admin/room-admin-menu.js';
import { OccupantActions } from './admin/occupant-actions.js';

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
  return <InvitationsList invitations={state.rooms.invitations()} />;
}
