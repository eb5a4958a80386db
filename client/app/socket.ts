/** The tab's socket.io connection to Parley, typed by the contract, and promise-based commands. */
import { io, type Socket } from 'socket.io-client';
import type { ClientCommands, CommandResults, Commands, Result, ServerEvents } from '../../server/realtime/contract.js';

export type ParleySocket = Socket<ServerEvents, ClientCommands>;
export type CommandName = keyof Commands;

export function connectSocket(): ParleySocket {
  // Same origin: the session cookie authenticates the socket. Polling is the fallback for proxies without WebSocket.
  // `auth` is read at every (re)connect: the server learns at once whether anyone looks at this tab (CSI, auto-away).
  return io({
    transports: ['websocket', 'polling'],
    withCredentials: true,
    auth: (send) => send({ visible: document.visibilityState === 'visible' }),
  });
}

export class CommandError extends Error {
  override name = 'CommandError';
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Sends a command and resolves with its data; rejects with the server's error text, or on timeout. */
export function command<K extends CommandName>(
  socket: ParleySocket,
  name: K,
  payload: Commands[K],
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<CommandResults[K]> {
  return new Promise((resolve, reject) => {
    const timed = socket.timeout(timeoutMs);
    const emit = timed.emit as unknown as (
      event: string,
      payload: unknown,
      ack: (err: Error | null, result?: Result<CommandResults[K]>) => void,
    ) => void;
    emit.call(timed, name, payload, (err, result) => {
      if (err) return reject(new CommandError(socket.connected ? 'Parley did not answer in time.' : 'Not connected to Parley.'));
      if (!result || typeof result !== 'object') return reject(new CommandError('Parley sent an invalid answer.'));
      if (!result.ok) return reject(new CommandError(result.error));
      resolve(result.data);
    });
  });
}

/** What UI modules get: a command runner, so they never touch the socket itself. */
export type RunCommand = <K extends CommandName>(name: K, payload: Commands[K]) => Promise<CommandResults[K]>;
