/** What every component of the app page may use, handed down once by the app entry (no globals to import). */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AppState } from '../state/app-state.js';
import type { HistoryLoader } from '../state/history.js';
import type { SearchModel } from '../state/search.js';
import type { MutesStore } from '../state/mutes.js';
import type { RunCommand } from '../app/socket.js';
import type { MessageDTO } from '../../server/realtime/contract.js';

export interface AppServices {
  state: AppState;
  history: HistoryLoader;
  search: SearchModel;
  mutes: MutesStore;
  run: RunCommand;
  connected: () => boolean;
  /** A message this tab sent, as the server acknowledged it. */
  onSent: (message: MessageDTO) => void;
  /** From the server-rendered page: the logout form's CSRF token and the upload limit (0: no uploads). */
  csrfToken: string;
  uploadLimitBytes: number;
}

export const Services = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(Services);
  if (!services) throw new Error('useServices() outside <Services.Provider>');
  return services;
}
