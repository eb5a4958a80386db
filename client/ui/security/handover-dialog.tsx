/**
 * The history handover's dialogs. In an old browser: "a new browser was set up" with its fingerprint to compare and the
 * conversations to pick. In the new browser: the offer with its own fingerprint and the sender's, to accept or refuse,
 * then what was stored and each message that was left out. Every text is set as text.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Handover, HandoverEvent, IncomingOffer, NewDeviceOffer } from '../../app/omemo-loader.js';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';

type Offer = { kind: 'new-device'; offer: NewDeviceOffer } | { kind: 'incoming'; offer: IncomingOffer } | { kind: 'refused-only' };
type Progress = Extract<HandoverEvent, { kind: 'received' }>;

export function HandoverDialog({ handover }: { handover: Handover }) {
  const dialog = useRef<HTMLDialogElement>(null);
  /** The offer on screen first; newer ones wait until it is settled. */
  const [queue, setQueue] = useState<Offer[]>([]);
  const [refused, setRefused] = useState<string[]>([]);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [busy, setBusy] = useState(false);
  const current = queue[0] ?? (refused.length ? ({ kind: 'refused-only' } as const) : null);

  useEffect(
    () =>
      handover.onEvent((e) => {
        if (e.kind === 'new-device' || e.kind === 'incoming') setQueue((q) => [...q, e]);
        else if (e.kind === 'received') setProgress(e);
        else if (e.kind === 'refused') setRefused((r) => [...r, e.error]);
      }),
    [handover],
  );
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (current && !d.open) d.showModal();
    if (!current && d.open) d.close();
  });

  const close = (): void => {
    setBusy(false);
    setRefused([]);
    setProgress(null);
    setQueue((q) => q.slice(1));
  };

  return (
    <dialog
      ref={dialog}
      class="security-dialog handover-dialog"
      data-testid="handover-dialog"
      aria-label={t('handover.label')}
      onCancel={(e) => {
        if (busy || current?.kind !== 'refused-only') e.preventDefault(); // an offer is answered with its buttons, not with Escape
        else close();
      }}
    >
      <div>
        {current?.kind === 'new-device' ? <NewDevice key={current.offer.deviceId} handover={handover} offer={current.offer} setBusy={setBusy} close={close} /> : null}
        {current?.kind === 'incoming' ? <Incoming key={current.offer.handover} handover={handover} offer={current.offer} progress={progress?.handover === current.offer.handover ? progress : null} setBusy={setBusy} close={close} /> : null}
        {current?.kind === 'refused-only' ? (
          <>
            <h2>{t('handover.heading')}</h2>
            <div class="handover-actions"><CloseButton close={close} /></div>
          </>
        ) : null}
      </div>
      <ul class="handover-errors" data-testid="handover-refused">
        {refused.map((text, i) => <li key={i} class="form-error">{text}</li>)}
      </ul>
    </dialog>
  );
}

function CloseButton({ close }: { close: () => void }) {
  return <button type="button" class="button-quiet" data-testid="handover-close" onClick={close}>{t('common.close')}</button>;
}

function Fingerprint({ label, testid, fp, note }: { label: string; testid: string; fp: string; note?: string }) {
  return (
    <p>
      <span>{`${label} `}</span>
      <code class="fingerprint" data-testid={testid}>{fp}</code>
      {note ? <span>{` ${note}`}</span> : null}
    </p>
  );
}

interface StepProps {
  handover: Handover;
  setBusy: (busy: boolean) => void;
  close: () => void;
}

function NewDevice({ handover, offer, setBusy, close }: StepProps & { offer: NewDeviceOffer }) {
  const { state } = useServices();
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [line, setLine] = useState<{ text: string; error?: boolean }>({ text: '' });
  const [phase, setPhase] = useState<'choose' | 'sending' | 'done'>('choose');
  useEffect(() => setBusy(true), []);
  const conversations = state.conversations.all();

  const send = (): void => {
    const peers = [...picked];
    if (peers.length === 0) return setLine({ text: t('handover.pickOne') });
    setPhase('sending');
    handover
      .send(offer.deviceId, peers, (text) => setLine({ text }))
      .then((r) => {
        const parts = [t('handover.done', { stored: r.stored, sent: r.sent })];
        if (r.rejected) parts.push(t('handover.leftOut', { count: r.rejected }));
        if (r.left) parts.push(t('handover.notSent', { count: r.left }));
        setLine({ text: parts.join(' ') });
      })
      .catch((err: Error) => setLine({ text: t('handover.failed', { error: err.message }), error: true }))
      .finally(() => {
        setBusy(false);
        setPhase('done');
      });
  };

  return (
    <>
      <h2>{t('handover.newDeviceHeading')}</h2>
      <p>{t('handover.newDeviceIntro', { device: offer.deviceId })}</p>
      <Fingerprint label={t('handover.itsFingerprint')} testid="handover-new-fingerprint" fp={offer.fingerprint} />
      <p class="security-hint">{t('handover.compareNew')}</p>
      <Fingerprint label={t('handover.thisFingerprintShown')} testid="handover-own-fingerprint" fp={offer.ownFingerprint} />
      <fieldset class="handover-conversations">
        <legend>{t('handover.conversations')}</legend>
        {conversations.map((c) => (
          <label key={c.peer} class="handover-conversation">
            <input type="checkbox" data-testid="handover-conversation" value={c.peer} checked={picked.has(c.peer)} disabled={phase !== 'choose'} onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              setPicked((p) => {
                const next = new Set(p);
                if (on) next.add(c.peer);
                else next.delete(c.peer);
                return next;
              });
            }} />
            <bdi>{` ${state.contacts.displayName(c.peer)}`}</bdi>
          </label>
        ))}
        {conversations.length === 0 ? <p>{t('handover.noConversations')}</p> : null}
      </fieldset>
      <div class="security-actions handover-actions">
        {phase === 'done' ? <CloseButton close={close} /> : (
          <>
            <button type="button" class="button-primary" data-testid="handover-send" disabled={phase !== 'choose'} onClick={send}>{t('handover.send')}</button>
            <button type="button" class="button-quiet" data-testid="handover-dismiss" disabled={phase !== 'choose'} onClick={() => void handover.dismiss(offer.deviceId).finally(close)}>{t('handover.dismiss')}</button>
          </>
        )}
      </div>
      <p class={`security-result${line.error ? ' form-error' : ''}`} data-testid="handover-status" role="status">{line.text}</p>
    </>
  );
}

function Incoming({ handover, offer, progress, setBusy, close }: StepProps & { offer: IncomingOffer; progress: Progress | null }) {
  const { state } = useServices();
  const [phase, setPhase] = useState<'offered' | 'waiting' | 'failed'>('offered');
  const [line, setLine] = useState('');
  useEffect(() => setBusy(true), []);
  useEffect(() => {
    if (progress?.done) setBusy(false);
  }, [progress?.done]);
  const total = offer.conversations.reduce((n, c) => n + c.count, 0);

  const accept = (): void => {
    setPhase('waiting');
    setLine(t('handover.waiting'));
    handover.accept(offer.handover).catch((err: Error) => {
      setLine(t('handover.acceptFailed', { error: err.message }));
      setPhase('failed');
      setBusy(false);
    });
  };
  const status = progress ? (progress.done ? t('handover.received', { count: progress.stored }) : t('handover.receiving', { count: progress.stored })) : line;
  const finished = phase === 'failed' || progress?.done === true;

  return (
    <>
      <h2>{t('handover.incomingHeading')}</h2>
      <p>{t('handover.incomingIntro', { device: offer.from, count: total })}</p>
      <ul>
        {offer.conversations.map((c) => <li key={c.peer}><bdi>{state.contacts.displayName(c.peer)}</bdi>{`: ${t('handover.messages', { count: c.count })}`}</li>)}
      </ul>
      <Fingerprint label={t('handover.itsFingerprint')} testid="handover-sender-fingerprint" fp={offer.fingerprint} note={offer.alreadyVerified ? t('handover.verifiedNote') : undefined} />
      <Fingerprint label={t('handover.thisFingerprint')} testid="handover-own-fingerprint" fp={offer.ownFingerprint} />
      <p class="security-hint">{t('handover.compareIncoming')}</p>
      <div class="security-actions handover-actions">
        {finished ? <CloseButton close={close} /> : (
          <>
            <button type="button" class="button-primary" data-testid="handover-accept" disabled={phase !== 'offered'} onClick={accept}>{t('handover.accept')}</button>
            <button type="button" class="button-quiet" data-testid="handover-refuse" disabled={phase !== 'offered'} onClick={() => void handover.decline(offer.handover).finally(close)}>{t('handover.refuse')}</button>
          </>
        )}
      </div>
      <p class="security-result" data-testid="handover-status" role="status">{status}</p>
      <ul class="handover-errors" data-testid="handover-errors">
        {(progress?.errors ?? []).map((text, i) => <li key={i}>{text}</li>)}
      </ul>
    </>
  );
}
