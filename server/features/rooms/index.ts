/** Group chats: the registry (our presence in rooms, occupants) and what other parts plug into it (ports.ts). */
export { RoomRegistry, RoomJoinError, DEFAULT_TIMING, featuresOf, omemoOf, roomAddress, type RegistryTiming, type RegistryDeps } from './registry.js';
export { OccupantTable, MAX_OCCUPANTS_PER_ROOM } from './occupants.js';
export { OccupantCoalescer } from './coalescer.js';
export type { RoomRegistryPort, RoomMessagesPort, RoomBookmarksPort, InvitationsPort, RoomView, JoinOptions } from './ports.js';
