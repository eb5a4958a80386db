/** The roster and subscriptions part of the contract (RFC 6121): contacts with names and groups, requests, own presence. */
import { z } from 'zod';
import { bareJid } from './fields.js';
import type { Presence } from '../contract.js';

/** Someone asks to see our presence (RFC 6121 §3.1.3); `nick` is what they call themselves (XEP-0172), unverified. */
export interface SubscriptionRequestDTO {
  jid: string;
  nick: string | null;
  /** ISO 8601: when it arrived in this XMPP session. */
  at: string;
}

/** The pending requests, newest first, at most `SUBSCRIPTION_LIST_MAX` of them; `total` counts all (a flood shows as one notice). */
export interface SubscriptionRequestsDTO {
  requests: SubscriptionRequestDTO[];
  total: number;
}

export const SUBSCRIPTION_LIST_MAX = 100;

const contactName = z.string().trim().max(256).nullable().default(null);
const groups = z.array(z.string().trim().min(1).max(256)).max(50).default([]);

export const rosterSchemas = {
  /** A roster set: replaces the contact's name and groups (rename, move between groups). */
  updateContact: z.object({ jid: bareJid, name: contactName, groups }).strict(),
  /** Let them see our presence; when we do not see theirs yet, ask too (mutual in one step). */
  approveSubscription: z.object({ jid: bareJid }).strict(),
  denySubscription: z.object({ jid: bareJid }).strict(),
  /** A flood of requests from strangers: deny every pending one at once. */
  denyAllSubscriptions: z.object({}).strict(),
} as const;

export const addContactSchema = z.object({ jid: bareJid, name: contactName, groups });

export interface RosterResults {
  updateContact: Record<string, never>;
  approveSubscription: Record<string, never>;
  denySubscription: Record<string, never>;
  denyAllSubscriptions: { denied: number };
}

export interface RosterEvents {
  /** The pending subscription requests changed (sent at most once a second). */
  subscriptionRequests: (e: SubscriptionRequestsDTO) => void;
  /** The presence the user chose, in this or another tab. */
  ownPresence: (e: { show: Presence; status: string | null }) => void;
}
