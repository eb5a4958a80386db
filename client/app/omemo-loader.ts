/**
 * Loads the OMEMO layer lazily (its crypto library is most of its weight), after the app has painted.
 * Everything else asks `omemo()` (and `handover()`) and copes with null: a browser without Web Locks or IndexedDB
 * still chats in plain text.
 */
import type { OmemoService, CommandFn } from '../omemo/service.js';
import type { Handover } from '../omemo/handover.js';
import type { RunCommand } from './socket.js';

let service: Promise<OmemoService | null> | null = null;
let handoverService: Promise<Handover | null> | null = null;

export function startOmemo(account: string, run: RunCommand): Promise<OmemoService | null> {
  service ??= import('../omemo/service.js')
    .then(({ OmemoService }) => OmemoService.start({ account, command: run as unknown as CommandFn }))
    .then((s) => {
      document.body.dataset.omemoDevice = String(s.deviceId);
      return s;
    })
    .catch((err: unknown) => {
      console.warn('OMEMO is not available in this tab:', err);
      return null;
    });
  handoverService ??= service.then((s) =>
    s
      ? import('../omemo/handover.js')
          .then(({ Handover }) => Handover.start({ service: s, command: run as unknown as CommandFn }))
          .catch((err: unknown) => {
            console.warn('The history handover is not available in this tab:', err);
            return null;
          })
      : null,
  );
  return service;
}

/** The tab's OMEMO service once started; null while loading failed or before start. */
export function omemo(): Promise<OmemoService | null> {
  return service ?? Promise.resolve(null);
}

/** The tab's history handover (client/omemo/handover.ts) once OMEMO started; null without OMEMO. */
export function handover(): Promise<Handover | null> {
  return handoverService ?? Promise.resolve(null);
}

/** The OMEMO types views may name (views reach the OMEMO layer only through this loader). */
export type { DeviceInfo, OmemoService } from '../omemo/service.js';
export type { Trust } from '../omemo/types.js';
export type { Handover, HandoverEvent, IncomingOffer, NewDeviceOffer } from '../omemo/handover.js';
