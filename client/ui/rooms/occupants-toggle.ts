/**
 * Whether the occupants panel is open, for the life of the tab. Wide screens start with it open; below 700 px it is a
 * panel over the conversation, opened from the header and closed again.
 */
import { signal } from '@preact/signals';

export const occupantsOpen = signal<boolean>(typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(min-width: 1000px)').matches : false);
