/** Small pieces of tab-wide state that the app entry sets from socket and OMEMO events, and components read. */
import { signal } from '@preact/signals-core';

/** The OMEMO layer finished starting (or failed to): encryption toggles and bubbles look again. */
export const omemoSettled = signal(false);

/** Ids whose plaintexts just arrived (a history handover): bubbles that could not show them try again. */
export const plaintextsArrived = signal<ReadonlySet<string>>(new Set());

/** Lines for the screen reader's live region: the newest incoming messages (at most five). */
export const announcements = signal<readonly { id: number; text: string }[]>([]);
let nextAnnouncement = 0;

export function announce(text: string): void {
  announcements.value = [...announcements.value, { id: nextAnnouncement++, text }].slice(-5);
}

/** Bumped when this tab sent a message: the open conversation scrolls to its end. */
export const sentSignal = signal(0);
