/**
 * Whether anyone is looking at this account: the tabs report their page visibility, and the session follows the
 * union of them. No tab visible: Client State Indication (XEP-0352) goes 'inactive' at once, so the server may hold
 * back presence and other traffic that is not urgent; one tab visible again: 'active', and the server flushes.
 * A tab says at attach whether it is visible, and then each change; one that never says counts as visible.
 */
import type { SessionContext } from './context.js';
import { buildClientState, NS_CSI } from '../stanza/csi.js';

export class ClientState {
  private readonly hidden = new Set<string>();
  private readonly attached = new Set<string>();
  /** What the server was last told on this stream (it assumes 'active' at the start of every stream: XEP-0352 §4). */
  private told = true;

  constructor(
    private readonly ctx: SessionContext,
    /** Called when the union changes: true once a tab is visible, false when the last visible one hides or leaves. */
    private readonly onVisibleChange: (visible: boolean) => void,
  ) {}

  get anyVisible(): boolean {
    return this.attached.size > this.hidden.size;
  }

  attach(tabId: string, visible: boolean): void {
    this.change(() => {
      this.attached.add(tabId);
      if (!visible) this.hidden.add(tabId);
    });
  }

  detach(tabId: string): void {
    this.change(() => {
      this.attached.delete(tabId);
      this.hidden.delete(tabId);
    });
  }

  setVisible(tabId: string, visible: boolean): void {
    if (!this.attached.has(tabId)) return;
    this.change(() => (visible ? this.hidden.delete(tabId) : this.hidden.add(tabId)));
  }

  /** A new stream (not a resumed one) starts 'active': tell the server again if nobody is looking. */
  async startStream(): Promise<void> {
    this.told = true;
    await this.tell();
  }

  /** A resumed stream keeps its state on the server: tell it only what changed while the stream was down. */
  async resumed(): Promise<void> {
    await this.tell();
  }

  private change(mutate: () => unknown): void {
    const before = this.anyVisible;
    mutate();
    if (this.anyVisible === before) return;
    this.onVisibleChange(this.anyVisible);
    void this.tell().catch((err: unknown) => this.ctx.log.debug({ err }, 'client state not sent'));
  }

  private async tell(): Promise<void> {
    const active = this.anyVisible;
    if (active === this.told || this.ctx.conn.state !== 'online' || !this.ctx.conn.offers('csi', NS_CSI)) return;
    this.told = active;
    // A nonza: sent as a stanza, stream management would count it and never see the last real stanza acked.
    await this.ctx.conn.sendNonza(buildClientState(active));
  }
}
