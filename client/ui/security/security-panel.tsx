/**
 * The encryption panel of a conversation: the contact's OMEMO devices with fingerprints and trust (unverified,
 * verified, compromised), warnings about changed keys, verification by comparing fingerprints or by a QR code
 * (scanned, read from a picture or pasted as its xmpp: link), this tab's own fingerprint and QR code, and the
 * account's other devices, which can be revoked. For a room: each member's devices with the same trust UI (a private
 * group), or the room's reason why OMEMO cannot be used there. Loaded on first use. Every text is set as text.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { OmemoPublicationDTO } from '../../../server/realtime/contract.js';
import { handover, omemo, type DeviceInfo, type OmemoService, type Trust } from '../../app/omemo-loader.js';
import { useServices } from '../context.js';
import { cameraAvailable, qrImage, readQrFromFile, scanWithCamera } from './qr.js';
import { closeSecurity } from './open.js';
import { roomVerdict } from '../chat/encryption.js';
import { t, type MessageKey } from '../../i18n/index.js';

const TRUST_LABEL: Record<Trust, MessageKey> = { unverified: 'security.trust.unverified', verified: 'security.trust.verified', compromised: 'security.trust.compromised' };
const TRUST_ACTIONS: { trust: Trust; label: MessageKey }[] = [
  { trust: 'verified', label: 'security.markVerified' },
  { trust: 'compromised', label: 'security.markCompromised' },
  { trust: 'unverified', label: 'security.resetUnverified' },
];

type Outcome = { text: string; kind: 'ok' | 'error' };
/** At most this many members get their devices listed (each costs a device list and bundles): the rest are counted. */
const MEMBERS_LISTED = 100;

/** A room's part of the panel: refused with the room's reason, or its members with their devices. */
type RoomPart =
  | { kind: 'refused'; reason: string }
  | { kind: 'members'; members: { jid: string; devices: DeviceInfo[] }[]; all: string[]; error: string | null };

interface Loaded {
  service: OmemoService;
  contact: DeviceInfo[];
  room: RoomPart | null;
  own: DeviceInfo[];
  publication: OmemoPublicationDTO | null;
  qr: string;
}
type View = { kind: 'loading' } | { kind: 'unavailable' } | { kind: 'error'; text: string } | ({ kind: 'ready' } & Loaded);

export function SecurityPanel({ peer }: { peer: string }) {
  const { run } = useServices();
  const dialog = useRef<HTMLDialogElement>(null);
  const [view, setView] = useState<View>({ kind: 'loading' });
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [reloads, setReloads] = useState(0);
  const reload = (next?: Outcome): void => {
    if (next) setOutcome(next);
    setReloads((n) => n + 1);
  };

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  useEffect(() => setOutcome(null), [peer]);

  // Device list changes (a revocation, a new key) reload the panel: subscribed once, so none falls between two loads.
  useEffect(() => {
    let live = true;
    let unsubscribe: (() => void) | undefined;
    void omemo().then((service) => {
      if (live && service) unsubscribe = service.onChange(() => reload());
    });
    return () => {
      live = false;
      unsubscribe?.();
    };
  }, []);

  useEffect(() => {
    let live = true;
    void (async () => {
      const service = await omemo();
      if (!live) return;
      if (!service) return setView({ kind: 'unavailable' });
      try {
        const verdict = roomVerdict(peer);
        const [contact, room, own, publication] = await Promise.all([
          verdict ? [] : service.devicesOf(peer),
          verdict ? loadRoom(service, peer, verdict) : null,
          service.devicesOf(service.account),
          run('omemoPublication', {}).catch(() => null), // an older server process: say nothing rather than fail the panel
        ]);
        const qr = await qrImage(service.qrUri());
        if (live) setView({ kind: 'ready', service, contact, room, own, publication, qr });
      } catch (err) {
        if (live) setView({ kind: 'error', text: t('security.loadError', { error: (err as Error).message }) });
      }
    })();
    return () => {
      live = false;
    };
  }, [peer, reloads]);

  const close = (): void => {
    if (dialog.current?.open) dialog.current.close();
    closeSecurity();
  };

  return (
    <dialog ref={dialog} class="security-dialog" data-testid="security-dialog" aria-labelledby="security-title" onClose={close} onCancel={close}>
      <div id="security-content">
        <header class="security-header">
          <h2 id="security-title"><bdi>{roomVerdict(peer) ? t('security.roomTitle', { room: peer }) : t('security.title', { jid: peer })}</bdi></h2>
          <button type="button" class="button-quiet" data-testid="security-close" onClick={close}>{t('common.close')}</button>
        </header>
        {view.kind === 'loading' ? <p>{t('security.loading')}</p> : null}
        {view.kind === 'unavailable' ? <p>{t('security.unavailable')}</p> : null}
        {view.kind === 'error' ? <p class="form-error">{view.text}</p> : null}
        {view.kind === 'ready' ? (
          <>
            {view.room ? (
              <RoomSection service={view.service} part={view.room} reload={reload} />
            ) : (
              <ContactSection service={view.service} peer={peer} devices={view.contact} reload={reload} />
            )}
            {view.room?.kind === 'refused' ? null : (
              <VerifySection reload={reload} check={view.room?.kind === 'members' ? verifyInRoom(view.service, view.room.all) : (code) => view.service.verifyFromUri(peer, code)} />
            )}
            <p class={`security-result ${outcome?.kind === 'error' ? 'form-error' : ''}`} data-testid="security-verify-result" role="status">{outcome?.text ?? ''}</p>
            <OwnSection view={view} reload={reload} />
          </>
        ) : null}
      </div>
    </dialog>
  );
}

type Reload = (outcome?: Outcome) => void;
type Verdict = NonNullable<ReturnType<typeof roomVerdict>>;
type Check = (code: string) => Promise<{ verified: number[]; mismatched: number[]; unknown: number[] }>;

async function loadRoom(service: OmemoService, room: string, verdict: Verdict): Promise<RoomPart> {
  if (!verdict.allowed) return { kind: 'refused', reason: verdict.reason ?? '' };
  const a = await service.roomAvailability(room);
  const listed = a.members.slice(0, MEMBERS_LISTED);
  const members = await Promise.all(listed.map(async (jid) => ({ jid, devices: await service.devicesOf(jid) })));
  return { kind: 'members', members, all: a.members, error: a.error };
}

/** A code scanned in a room: it must be a member's. */
function verifyInRoom(service: OmemoService, members: string[]): Check {
  return async (code) => {
    try {
      return await service.verifyMemberFromUri(members, code);
    } catch (err) {
      const jid = (err as { name?: string; jid?: string }).name === 'NotAMemberError' ? (err as { jid: string }).jid : null;
      throw jid ? new Error(t('security.roomVerifyNotMember', { jid })) : err;
    }
  };
}

function RoomSection({ service, part, reload }: { service: OmemoService; part: RoomPart; reload: Reload }) {
  if (part.kind === 'refused') {
    return (
      <section data-testid="security-room">
        <p class="security-warning" data-testid="security-room-refused">{part.reason}</p>
      </section>
    );
  }
  return (
    <section data-testid="security-room">
      <h3>{t('security.roomMembers')}</h3>
      {part.error && part.members.length === 0 ? <p class="form-error">{t('security.roomMembersError', { error: part.error })}</p> : null}
      {!part.error && part.members.length === 0 ? <p>{t('security.roomNoMembers')}</p> : null}
      {part.members.length ? <p class="security-hint">{t('security.roomMembersHint')}</p> : null}
      {part.members.map((m) => (
        <section key={m.jid} class="security-member" data-testid="security-member" data-jid={m.jid}>
          <h4><bdi>{m.jid}</bdi></h4>
          {m.devices.length === 0 ? (
            <p data-testid="security-member-no-devices">{t('security.noDevices', { jid: m.jid })}</p>
          ) : (
            <DeviceList service={service} jid={m.jid} devices={m.devices} reload={reload} />
          )}
        </section>
      ))}
      {part.all.length > part.members.length ? <p>{t('security.roomMoreMembers', { count: part.all.length - part.members.length })}</p> : null}
    </section>
  );
}

function ContactSection({ service, peer, devices, reload }: { service: OmemoService; peer: string; devices: DeviceInfo[]; reload: Reload }) {
  return (
    <section data-testid="security-contact">
      <h3>{t('security.theirDevices')}</h3>
      {devices.length === 0 ? (
        <p>{t('security.noDevices', { jid: peer })}</p>
      ) : (
        <>
          <p class="security-hint">{t('security.compareHint')}</p>
          <DeviceList service={service} jid={peer} devices={devices} reload={reload} />
        </>
      )}
    </section>
  );
}

function DeviceList(props: { service: OmemoService; jid: string; devices: DeviceInfo[]; reload: Reload; revoke?: boolean; handover?: boolean }) {
  const { service, jid, devices, reload } = props;
  return (
    <ul class="security-devices">
      {devices.map((d) => {
        const label = d.isThisTab ? t('security.thisTab') : d.isThisBrowser ? t('security.deviceOtherTab', { device: d.deviceId }) : t('security.device', { device: d.deviceId });
        return (
          <li key={d.deviceId} class={`security-device trust-${d.trust}`} data-testid="security-device" data-device-id={String(d.deviceId)} data-trust={d.trust}>
            <div class="security-device-head">
              <strong>{label}</strong>
              {d.isThisTab ? null : <span class={`trust-badge trust-${d.trust}`} data-testid="security-device-trust">{t(TRUST_LABEL[d.trust])}</span>}
            </div>
            <code class="fingerprint" data-testid="security-fingerprint">{d.fingerprint ?? t('security.noKey')}</code>
            {d.warning ? (
              <>
                <p class="security-warning" data-testid="security-warning">{d.warning}</p>
                <ActionButton label={t('security.acceptKey')} testid="security-accept-key" reload={reload} action={async () => {
                  await service.acceptIdentityChange(jid, d.deviceId);
                  reload({ text: t('security.keyAccepted', { device: d.deviceId }), kind: 'ok' });
                }} />
              </>
            ) : null}
            {!d.isThisTab && d.fingerprint && !d.warning ? (
              <div class="security-actions">
                {TRUST_ACTIONS.filter((a) => a.trust !== d.trust).map((a) => (
                  <ActionButton key={a.trust} label={t(a.label)} testid={`security-set-${a.trust}`} reload={reload} action={async () => {
                    await service.setTrust(jid, d.deviceId, a.trust);
                    reload({ text: t('security.trustSet', { device: d.deviceId, trust: a.trust }), kind: 'ok' });
                  }} />
                ))}
                {props.handover && !d.isThisBrowser && d.trust !== 'compromised' ? (
                  <ActionButton label={t('security.handover')} testid="security-handover" reload={reload} action={async () => {
                    const h = await handover();
                    const r = h ? await h.offerTo(d.deviceId) : { ok: false as const, reason: t('security.handoverUnavailable') };
                    reload(r.ok ? { text: t('security.handoverPick', { device: d.deviceId }), kind: 'ok' } : { text: r.reason, kind: 'error' });
                  }} />
                ) : null}
                {props.revoke ? (
                  <ActionButton label={t('security.revoke')} testid="security-revoke" reload={reload} action={async () => {
                    if (!window.confirm(t('security.revokeConfirm', { device: d.deviceId }))) return;
                    await service.revokeOwnDevice(d.deviceId);
                    reload({ text: t('security.revoked', { device: d.deviceId }), kind: 'ok' });
                  }} />
                ) : null}
              </div>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

function ActionButton({ label, testid, action, reload }: { label: string; testid: string; action: () => Promise<void>; reload: Reload }) {
  const [busy, setBusy] = useState(false);
  return (
    <button type="button" class="button-quiet" data-testid={testid} disabled={busy} onClick={() => {
      setBusy(true);
      action().catch((err: Error) => reload({ text: err.message, kind: 'error' })).finally(() => setBusy(false));
    }}>
      {label}
    </button>
  );
}

function VerifySection({ check, reload }: { check: Check; reload: Reload }) {
  const [pasted, setPasted] = useState('');
  const [scanning, setScanning] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const camera = useRef<{ stop(): void } | null>(null);
  useEffect(() => () => camera.current?.stop(), []);

  const verify = async (code: string | null): Promise<void> => {
    if (!code) return reload({ text: t('security.noQr'), kind: 'error' });
    const r = await check(code);
    const parts: string[] = [];
    if (r.verified.length) parts.push(t('security.verifiedDevices', { devices: r.verified.join(', ') }));
    if (r.mismatched.length) parts.push(t('security.mismatched', { devices: r.mismatched.join(', ') }));
    if (r.unknown.length) parts.push(t('security.unknownDevices', { devices: r.unknown.join(', ') }));
    reload({ text: parts.join(' '), kind: r.mismatched.length || !r.verified.length ? 'error' : 'ok' });
  };
  const fail = (err: Error) => reload({ text: err.message, kind: 'error' });

  return (
    <section data-testid="security-verify">
      <h3>{t('security.verifyHeading')}</h3>
      {cameraAvailable() ? (
        <>
          <button type="button" class="button-quiet" data-testid="security-scan" onClick={() => {
            const el = video.current;
            if (!el) return;
            setScanning(true);
            const session = scanWithCamera(el);
            camera.current = session;
            session.result.then((code) => (code ? verify(code) : undefined)).catch(fail).finally(() => {
              camera.current = null;
              setScanning(false);
            });
          }}>{t('security.scan')}</button>
          <video ref={video} class="security-camera" playsInline muted hidden={!scanning} />
        </>
      ) : null}
      <label class="security-field">
        <span>{t('security.fromPicture')} </span>
        <input type="file" accept="image/*" data-testid="security-qr-file" aria-label={t('security.pictureLabel')} onChange={(e) => {
          const picked = (e.currentTarget as HTMLInputElement).files?.[0];
          if (picked) readQrFromFile(picked).then(verify).catch(fail);
        }} />
      </label>
      <div class="security-field">
        <input type="text" data-testid="security-code-input" placeholder="xmpp:…?omemo-sid-…" aria-label={t('security.linkLabel')} spellcheck={false} autocomplete="off" maxLength={4096}
          value={pasted} onInput={(e) => setPasted((e.currentTarget as HTMLInputElement).value)} />
        <button type="button" class="button-quiet" data-testid="security-code-verify" onClick={() => void verify(pasted.trim() || null).catch(fail)}>{t('security.verify')}</button>
      </div>
    </section>
  );
}

function OwnSection({ view, reload }: { view: Loaded; reload: Reload }) {
  const { service, own, publication, qr } = view;
  const uri = service.qrUri();
  const others = own.filter((d) => !d.isThisTab);
  return (
    <section data-testid="security-own">
      <h3>{t('security.thisDevice')}</h3>
      {/* The server's own words are in `problem`: set as text like everything else. */}
      {publication && !publication.open ? <p class="form-error" data-testid="security-publication" role="status">{publication.problem ?? ''}</p> : null}
      <p class="security-hint">{t('security.ownHint', { device: service.deviceId })}</p>
      <code class="fingerprint" data-testid="security-own-fingerprint">{service.ownFingerprint()}</code>
      <img class="security-qr" data-testid="security-own-qr" alt={t('security.qrAlt', { uri })} src={qr} width={240} height={240} />
      <p class="security-uri" data-testid="security-own-uri">{uri}</p>
      <h3>{t('security.otherDevices')}</h3>
      {others.length === 0 ? <p>{t('security.onlyDevice')}</p> : <DeviceList service={service} jid={service.account} devices={others} reload={reload} revoke handover />}
    </section>
  );
}
