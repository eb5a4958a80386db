/**
 * XEP-0198 Stream Management bookkeeping, without I/O: the connection feeds it every inbound stanza, every
 * outbound stanza and every SM nonza, synchronously, in the order they were parsed or written.
 *
 * Why our own: @xmpp/stream-management 0.14 resets the inbound counter only after an `await` when <enabled/>
 * arrives, so stanzas parsed from the same chunk are counted and then wiped; it later acks fewer stanzas than
 * before and Prosody closes the stream ("Client acknowledged less stanzas than already acknowledged").
 * It also never counts iq results consumed by the iq caller. Here nothing awaits between parse and count.
 */
import type { Element } from '@xmpp/xml';

export const NS_SM = 'urn:xmpp:sm:3';
const MOD = 2 ** 32; // XEP-0198 §4: h wraps at 2^32

export interface Outbound {
  stanza: Element;
  /** Set for sendAcked(): settled by the server's ack, or rejected when the session is lost. */
  acked?: { resolve: () => void; reject: (err: Error) => void };
}

export class StreamManagement {
  /** SM is active on the current stream (after <enabled/> or <resumed/>). */
  enabled = false;
  /** Resumption id from <enabled id resume='true'/>; null when the session cannot be resumed. */
  id: string | null = null;
  /** Seconds the server keeps the session for resumption (<enabled max/>). */
  max: number | null = null;
  /** Inbound stanzas handled since SM was enabled (our h). */
  inbound = 0;
  /** Stanzas sent since SM was enabled, acked or not. */
  outbound = 0;
  /** The last h the server acked. */
  acked = 0;
  /** Sent and not yet acked, oldest first: outbound - acked entries. */
  readonly unacked: Outbound[] = [];

  /** <enabled/> arrived: both counters start from zero (XEP-0198 §4). Must run before any later stanza is counted. */
  onEnabled(el: Element): void {
    this.enabled = true;
    this.inbound = 0;
    this.outbound = 0;
    this.acked = 0;
    this.id = el.attrs.resume === 'true' || el.attrs.resume === '1' ? (el.attrs.id ?? null) : null;
    this.max = el.attrs.max ? Number(el.attrs.max) : null;
    // Stanzas sent before <enable/> on this stream are not counted by the server; they stay "unacked" in the
    // caller's hands only if it re-queued them after enabling, so the queue is expected to be empty here.
  }

  /** Each inbound message/presence/iq, counted as soon as it is parsed. */
  onInbound(): void {
    if (this.enabled) this.inbound = (this.inbound + 1) % MOD;
  }

  /** Each outbound stanza, at the moment it is written. */
  onOutbound(item: Outbound): void {
    if (!this.enabled) {
      item.acked?.resolve(); // without SM there is no ack to wait for; written is all we know
      return;
    }
    this.outbound = (this.outbound + 1) % MOD;
    this.unacked.push(item);
  }

  /**
   * <a h/> (or the h of <resumed/>/<failed/>): drops and resolves what the server has handled.
   * Returns an error text when h is impossible (more than we sent), which the caller reports; h is then ignored.
   */
  onAck(h: number): string | null {
    if (!Number.isInteger(h) || h < 0 || h >= MOD) return `invalid h ${h}`;
    const newly = (h - this.acked + MOD) % MOD;
    if (newly > this.unacked.length) return `server acked ${h} but only ${(this.acked + this.unacked.length) % MOD} stanzas were sent`;
    this.acked = h;
    for (const item of this.unacked.splice(0, newly)) item.acked?.resolve();
    return null;
  }

  /** <a h='...'/> answering the server's <r/>. */
  ackValue(): string {
    return String(this.inbound);
  }

  /** The stream is gone; SM is inactive until resumed or re-enabled. Counters and queue are kept for <resume/>. */
  onStreamLost(): void {
    this.enabled = false;
  }

  /**
   * <resumed h/>: the server handled h of our stanzas; the rest must be sent again (XEP-0198 §5: the client
   * SHOULD retransmit). Returns those, in order; the caller writes them again (they are counted again then).
   */
  onResumed(h: number): { resend: Outbound[]; error: string | null } {
    const error = this.onAck(h);
    this.enabled = true;
    const resend = this.unacked.splice(0);
    this.outbound = this.acked;
    return { resend, error };
  }

  /**
   * Resumption failed (or was impossible): a new session starts. Returns what the old one never got acked,
   * and forgets the old session's id and counters.
   */
  onSessionLost(h?: number): Outbound[] {
    if (h !== undefined) this.onAck(h);
    const lost = this.unacked.splice(0);
    this.enabled = false;
    this.id = null;
    this.max = null;
    this.inbound = 0;
    this.outbound = 0;
    this.acked = 0;
    return lost;
  }
}
