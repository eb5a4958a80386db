/**
 * The encryption panel of a conversation: the contact's OMEMO devices with fingerprints and trust (unverified,
 * verified, compromised), warnings about changed keys, verification by comparing fingerprints or by a QR code
 * (scanned, read from a picture or pasted as its xmpp: link), this tab's own fingerprint and QR code, and the
 * account's other devices, which can be revoked. Loaded on first use. Every text is set as text.
 */
import type { DeviceInfo, OmemoService } from '../omemo/service.js';
import type { Trust } from '../omemo/types.js';
import { handover, omemo } from '../app/omemo-loader.js';
import { byId, h } from './dom.js';
import { cameraAvailable, qrImage, readQrFromFile, scanWithCamera } from './qr.js';
import type { RunCommand } from '../app/socket.js';
import type { OmemoPublicationDTO } from '../../server/realtime/contract.js';

const TRUST_LABEL: Record<Trust, string> = { unverified: 'Unverified', verified: 'Verified', compromised: 'Compromised' };
const TRUST_ACTIONS: { trust: Trust; label: string }[] = [
  { trust: 'verified', label: 'Mark as verified' },
  { trust: 'compromised', label: 'Mark as compromised' },
  { trust: 'unverified', label: 'Reset to unverified' },
];

let mounted: { show(peer: string): void } | null = null;

/** Opens the panel for the conversation with `peer`. */
export function openSecurityPanel(peer: string, run: RunCommand): void {
  mounted ??= mount(run);
  mounted.show(peer);
}

function mount(run: RunCommand): { show(peer: string): void } {
  const dialog = byId<HTMLDialogElement>('security-dialog');
  const content = byId('security-content');
  let peer: string | null = null;
  let renderSeq = 0;
  let camera: { stop(): void } | null = null;
  let unsubscribe: (() => void) | null = null;
  /** The outcome of the user's last action: kept across re-renders that device list events cause. */
  let status: { text: string; kind: 'ok' | 'error' } | null = null;

  const close = (): void => {
    camera?.stop();
    camera = null;
    unsubscribe?.();
    unsubscribe = null;
    peer = null;
    if (dialog.open) dialog.close();
  };
  dialog.addEventListener('close', close);
  dialog.addEventListener('cancel', close);

  const render = async (outcome?: { text: string; kind: 'ok' | 'error' }): Promise<void> => {
    if (outcome) status = outcome;
    const current = peer;
    if (!current) return;
    const seq = ++renderSeq;
    const service = await omemo();
    const closeButton = h('button', { class: 'button-quiet', text: 'Close', testid: 'security-close', attrs: { type: 'button' } });
    closeButton.addEventListener('click', close);
    const header = h('header', { class: 'security-header' }, h('h2', { text: `Encryption with ${current}` }), closeButton);
    if (!service) {
      content.replaceChildren(header, h('p', { text: 'End-to-end encryption (OMEMO) is not available in this tab, so there is nothing to verify here.' }));
      return;
    }
    let contact: DeviceInfo[];
    let own: DeviceInfo[];
    let publication: OmemoPublicationDTO | null;
    try {
      [contact, own, publication] = await Promise.all([
        service.devicesOf(current),
        service.devicesOf(service.account),
        run('omemoPublication', {}).catch(() => null), // an older server process: say nothing rather than fail the panel
      ]);
    } catch (err) {
      content.replaceChildren(header, h('p', { class: 'form-error', text: `Could not load the devices: ${(err as Error).message}` }));
      return;
    }
    if (seq !== renderSeq || peer !== current) return; // a newer render or another conversation took over
    const result = h('p', { class: `security-result ${status?.kind === 'error' ? 'form-error' : ''}`, testid: 'security-verify-result', text: status?.text ?? '', attrs: { role: 'status' } });
    content.replaceChildren(
      header,
      contactSection(service, current, contact, render),
      verifySection(service, current, render, (c) => (camera = c)),
      result,
      await ownSection(service, own, render, publication),
    );
  };

  return {
    show(next) {
      peer = next;
      status = null;
      content.replaceChildren(h('p', { text: 'Loading devices…' }));
      if (!dialog.open) dialog.showModal();
      void omemo().then((service) => {
        unsubscribe?.();
        unsubscribe = service?.onChange(() => void render()) ?? null;
      });
      void render();
    },
  };
}

type Rerender = (status?: { text: string; kind: 'ok' | 'error' }) => Promise<void>;

function contactSection(service: OmemoService, peer: string, devices: DeviceInfo[], rerender: Rerender): HTMLElement {
  const section = h('section', { testid: 'security-contact' }, h('h3', { text: 'Their devices' }));
  if (devices.length === 0) {
    section.append(h('p', { text: `${peer} publishes no OMEMO devices: messages to them cannot be encrypted.` }));
    return section;
  }
  section.append(
    h('p', { class: 'security-hint', text: 'Compare each fingerprint with the one their device shows (in person or over a channel you trust), or scan their QR code below.' }),
    deviceList(service, peer, devices, rerender),
  );
  return section;
}

function deviceList(service: OmemoService, jid: string, devices: DeviceInfo[], rerender: Rerender, opts: { revoke?: boolean; handover?: boolean } = {}): HTMLElement {
  const list = h('ul', { class: 'security-devices' });
  for (const d of devices) {
    const label = d.isThisTab ? 'This tab' : d.isThisBrowser ? `Device ${d.deviceId} (another tab of this browser)` : `Device ${d.deviceId}`;
    const item = h(
      'li',
      { class: `security-device trust-${d.trust}`, testid: 'security-device', data: { deviceId: String(d.deviceId), trust: d.trust } },
      h('div', { class: 'security-device-head' }, h('strong', { text: label }), d.isThisTab ? null : h('span', { class: `trust-badge trust-${d.trust}`, testid: 'security-device-trust', text: TRUST_LABEL[d.trust] })),
      h('code', { class: 'fingerprint', testid: 'security-fingerprint', text: d.fingerprint ?? 'no key published' }),
    );
    if (d.warning) {
      const accept = actionButton('Accept the new key', 'security-accept-key', async () => {
        await service.acceptIdentityChange(jid, d.deviceId);
        await rerender({ text: `The new key of device ${d.deviceId} is accepted; verify it again.`, kind: 'ok' });
      }, rerender);
      item.append(h('p', { class: 'security-warning', testid: 'security-warning', text: d.warning }), accept);
    }
    if (!d.isThisTab && d.fingerprint && !d.warning) {
      const actions = h('div', { class: 'security-actions' });
      for (const a of TRUST_ACTIONS) {
        if (a.trust === d.trust) continue;
        actions.append(actionButton(a.label, `security-set-${a.trust}`, async () => {
          await service.setTrust(jid, d.deviceId, a.trust);
          await rerender({ text: `Device ${d.deviceId} is ${TRUST_LABEL[a.trust].toLowerCase()} now.`, kind: 'ok' });
        }, rerender));
      }
      if (opts.handover && !d.isThisBrowser && d.trust !== 'compromised') {
        actions.append(actionButton('Hand over history', 'security-handover', async () => {
          const h = await handover();
          const r = h ? await h.offerTo(d.deviceId) : { ok: false as const, reason: 'The history handover is not available in this tab.' };
          await rerender(r.ok ? { text: `Pick the conversations to hand over to device ${d.deviceId}.`, kind: 'ok' } : { text: r.reason, kind: 'error' });
        }, rerender));
      }
      if (opts.revoke) {
        actions.append(actionButton('Revoke', 'security-revoke', async () => {
          if (!window.confirm(`Revoke device ${d.deviceId}? It leaves your device list for good and no message is encrypted to it again. Do this for a lost or stolen device.`)) return;
          await service.revokeOwnDevice(d.deviceId);
          await rerender({ text: `Device ${d.deviceId} is revoked.`, kind: 'ok' });
        }, rerender));
      }
      item.append(actions);
    }
    list.append(item);
  }
  return list;
}

function actionButton(label: string, testid: string, action: () => Promise<void>, rerender: Rerender): HTMLButtonElement {
  const button = h('button', { class: 'button-quiet', text: label, testid, attrs: { type: 'button' } });
  button.addEventListener('click', () => {
    button.disabled = true;
    action().catch((err: Error) => rerender({ text: err.message, kind: 'error' }));
  });
  return button;
}

function verifySection(service: OmemoService, peer: string, rerender: Rerender, setCamera: (c: { stop(): void } | null) => void): HTMLElement {
  const verify = async (code: string | null): Promise<void> => {
    if (!code) return rerender({ text: 'No QR code was found in that picture.', kind: 'error' });
    const r = await service.verifyFromUri(peer, code);
    const parts: string[] = [];
    if (r.verified.length) parts.push(`Verified: device ${r.verified.join(', ')}.`);
    if (r.mismatched.length) parts.push(`The fingerprint of device ${r.mismatched.join(', ')} does NOT match: do not trust it, someone may be listening in.`);
    if (r.unknown.length) parts.push(`Device ${r.unknown.join(', ')} is not in their device list (yet).`);
    await rerender({ text: parts.join(' '), kind: r.mismatched.length || !r.verified.length ? 'error' : 'ok' });
  };
  const fail = (err: Error) => rerender({ text: err.message, kind: 'error' });

  const file = h('input', { testid: 'security-qr-file', attrs: { type: 'file', accept: 'image/*', 'aria-label': 'Picture of their QR code' } });
  file.addEventListener('change', () => {
    const picked = file.files?.[0];
    if (picked) readQrFromFile(picked).then(verify).catch(fail);
  });
  const pasted = h('input', { testid: 'security-code-input', attrs: { type: 'text', placeholder: 'xmpp:…?omemo-sid-…', 'aria-label': 'Their verification link', spellcheck: 'false', autocomplete: 'off', maxlength: '4096' } });
  const pasteButton = h('button', { class: 'button-quiet', text: 'Verify', testid: 'security-code-verify', attrs: { type: 'button' } });
  pasteButton.addEventListener('click', () => void verify(pasted.value.trim() || null).catch(fail));

  const section = h('section', { testid: 'security-verify' }, h('h3', { text: 'Verify with their QR code' }));
  if (cameraAvailable()) {
    const video = h('video', { class: 'security-camera', attrs: { playsinline: '', muted: '' } });
    video.hidden = true;
    const scan = h('button', { class: 'button-quiet', text: 'Scan with the camera', testid: 'security-scan', attrs: { type: 'button' } });
    scan.addEventListener('click', () => {
      video.hidden = false;
      const session = scanWithCamera(video);
      setCamera(session);
      session.result.then((code) => (code ? verify(code) : undefined)).catch(fail).finally(() => setCamera(null));
    });
    section.append(scan, video);
  }
  section.append(
    h('label', { class: 'security-field' }, h('span', { text: 'Or read it from a picture: ' }), file),
    h('div', { class: 'security-field' }, pasted, pasteButton),
  );
  return section;
}

async function ownSection(service: OmemoService, devices: DeviceInfo[], rerender: Rerender, publication: OmemoPublicationDTO | null): Promise<HTMLElement> {
  const uri = service.qrUri();
  const section = h(
    'section',
    { testid: 'security-own' },
    h('h3', { text: "This tab's device" }),
    // The server's own words are in `problem`: set as text like everything else.
    publication && !publication.open ? h('p', { class: 'form-error', testid: 'security-publication', text: publication.problem ?? '', attrs: { role: 'status' } }) : null,
    h('p', { class: 'security-hint', text: `Device ${service.deviceId}. Let your contact scan this code or compare the fingerprint.` }),
    h('code', { class: 'fingerprint', testid: 'security-own-fingerprint', text: service.ownFingerprint() }),
    h('img', { class: 'security-qr', testid: 'security-own-qr', attrs: { alt: `QR code of ${uri}`, src: await qrImage(uri), width: '240', height: '240' } }),
    h('p', { class: 'security-uri', testid: 'security-own-uri', text: uri }),
  );
  const others = devices.filter((d) => !d.isThisTab);
  section.append(h('h3', { text: 'Your other devices' }));
  if (others.length === 0) section.append(h('p', { text: 'None: this tab is the only device of your account.' }));
  else section.append(deviceList(service, service.account, others, rerender, { revoke: true, handover: true }));
  return section;
}
