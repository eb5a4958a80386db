/**
 * Mount points for helper rooms-ui-admin's components (client/ui/rooms/admin/*.tsx: InvitationsList, CreateRoomButton,
 * RoomAdminMenu, OccupantActions). They are imported here once they exist on this branch (after a merge); until then
 * each slot renders nothing, so the places where they go are marked in one file.
 */
import type { OccupantDTO, RoomDTO } from '../../../server/realtime/contract.js';

export type SlotProps =
  | { name: 'InvitationsList' }
  | { name: 'CreateRoomButton' }
  | { name: 'RoomAdminMenu'; room: RoomDTO }
  | { name: 'OccupantActions'; room: RoomDTO; occupant: OccupantDTO };

// SLOT: replace with the admin components once client/ui/rooms/admin/ is merged.
export function AdminSlot(_props: SlotProps) {
  return null;
}
