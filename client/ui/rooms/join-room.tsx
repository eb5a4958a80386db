/**
 * The join dialog: a typed address or an `xmpp:room@service?join` link (also the `#join/<link>` route the app may be
 * opened with), the nickname (default: the account's local part), the password when the room asks, the server's
 * suggestion when the nickname is taken; a preview of the room (roomInfo) and a browser of the account's MUC service
 * (roomServices, roomBrowse) filtered by name.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CommandResults, RoomDTO, RoomListingDTO } from '../../../server/realtime/contract.js';
import { roomFromJoinUri } from '../../app/router.js';
import { navigate } from '../../app/route.js';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';

type Info = CommandResults['roomInfo'];

const FEATURES = ['membersOnly', 'nonAnonymous', 'passwordProtected', 'moderated', 'persistent', 'public', 'mam'] as const;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function JoinRoom({ initialRoom }: { initialRoom: string | null }) {
  const { state, run } = useServices();
  const [address, setAddress] = useState(initialRoom ?? '');
  const [nick, setNick] = useState(() => defaultNick(state.own.profile?.fields, state.own.account));
  const [password, setPassword] = useState('');
  const [askPassword, setAskPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ text: string; suggestion?: string | null } | null>(null);
  const [info, setInfo] = useState<Info | null>(null);
  const room = roomFromJoinUri(address);
  const field = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (initialRoom) setAddress(initialRoom);
    field.current?.focus();
  }, [initialRoom]);

  // The preview of a valid address, a moment after typing stops.
  useEffect(() => {
    setInfo(null);
    if (!room) return;
    let live = true;
    const timer = setTimeout(() => {
      void run('roomInfo', { room })
        .then((i) => live && setInfo(i))
        .catch(() => undefined);
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [room]);

  const join = async (e?: Event): Promise<void> => {
    e?.preventDefault();
    if (!room) return setProblem({ text: t('join.invalid') });
    setBusy(true);
    setProblem(null);
    try {
      const { room: joined } = await run('roomJoin', { room, nick: nick.trim() || undefined, password: password || undefined });
      if (!explain(joined)) navigate({ view: 'chat', peer: joined.jid });
    } catch (err) {
      setProblem({ text: t('join.failed', { error: errorText(err) }) });
    } finally {
      setBusy(false);
    }
  };

  /** A refused join: what to do next. True when the join did not succeed. */
  const explain = (r: RoomDTO): boolean => {
    if (r.state === 'joined' || r.state === 'joining' || !r.error) return false;
    if (r.error.reason === 'nickname-in-use') {
      setProblem({ text: t('join.nickInUse', { nick: nick.trim() }), suggestion: r.error.suggestion });
    } else if (r.error.reason === 'password-required') {
      setAskPassword(true);
      setProblem({ text: t('rooms.error.password-required') });
    } else {
      setProblem({ text: `${t(`rooms.error.${r.error.reason}`)}${r.error.text ? ` ${r.error.text}` : ''}` });
    }
    return true;
  };

  return (
    <section class="join-room" data-testid="join-room" aria-labelledby="join-title">
      <header class="conversation-header">
        <a href="#" class="back-link" data-testid="back" aria-label={t('conversation.back')}>‹</a>
        <h1 id="join-title">{t('join.title')}</h1>
      </header>
      <div class="join-body">
        <form class="join-form" onSubmit={(e) => void join(e)} data-testid="join-form">
          <label for="join-address">{t('join.address')}</label>
          <input
            ref={field}
            id="join-address"
            type="text"
            data-testid="join-address"
            autocapitalize="none"
            spellcheck={false}
            maxLength={3100}
            value={address}
            aria-invalid={address.trim() !== '' && !room ? 'true' : undefined}
            onInput={(e) => setAddress((e.currentTarget as HTMLInputElement).value)}
          />
          <p class="field-hint">{t('join.addressHint')}</p>
          <label for="join-nick">{t('join.nick')}</label>
          <input id="join-nick" type="text" data-testid="join-nick" maxLength={256} value={nick} onInput={(e) => setNick((e.currentTarget as HTMLInputElement).value)} />
          {askPassword || info?.features.passwordProtected ? (
            <>
              <label for="join-password">{t('join.password')}</label>
              <input id="join-password" type="password" data-testid="join-password" maxLength={1024} autocomplete="off" value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
            </>
          ) : null}
          {problem ? (
            <p class="form-error" role="alert" data-testid="join-error">
              {problem.text}{' '}
              {problem.suggestion ? (
                <button type="button" class="link-button" data-testid="join-suggestion" onClick={() => (setNick(problem.suggestion!), setProblem(null))}>
                  {t('join.useSuggestion', { nick: problem.suggestion })}
                </button>
              ) : null}
            </p>
          ) : null}
          <div class="join-actions">
            <button type="submit" class="button-primary" data-testid="join-submit" disabled={busy || !room}>{busy ? t('join.joining') : t('join.submit')}</button>
            <a class="button-quiet" href="#">{t('join.cancel')}</a>
          </div>
        </form>
        {info ? <RoomPreview info={info} /> : null}
        <RoomBrowser onPick={(jid) => setAddress(jid)} />
      </div>
    </section>
  );
}

function RoomPreview({ info }: { info: Info }) {
  return (
    <section class="room-preview" data-testid="room-preview" aria-label={t('join.preview')}>
      <h2 dir="auto"><bdi data-testid="room-preview-name">{info.name ?? info.jid}</bdi></h2>
      {info.description ? <p dir="auto" data-testid="room-preview-description">{info.description}</p> : null}
      {info.occupants !== null ? <p>{t('join.previewOccupants', { count: info.occupants })}</p> : null}
      <ul class="room-features">
        {FEATURES.filter((f) => info.features[f] === true).map((f) => <li key={f} data-feature={f}>{t(`join.feature.${f}`)}</li>)}
      </ul>
      <p data-testid="room-preview-omemo" data-allowed={info.omemo.allowed ? 'true' : 'false'}>
        {info.omemo.allowed ? t('join.omemoPossible') : t('join.omemoNot', { reason: info.omemo.reason ?? '' })}
      </p>
    </section>
  );
}

/** The public rooms of the account's MUC service, filtered by name on the server, paged. */
function RoomBrowser({ onPick }: { onPick: (jid: string) => void }) {
  const { run } = useServices();
  const [open, setOpen] = useState(false);
  const [services, setServices] = useState<string[] | null>(null);
  const [filter, setFilter] = useState('');
  const [rooms, setRooms] = useState<RoomListingDTO[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const service = services?.[0];

  useEffect(() => {
    if (!open || services) return;
    void run('roomServices', {})
      .then((r) => setServices(r.services.slice(0, 20)))
      .catch((e: unknown) => setError(errorText(e)));
  }, [open]);

  const load = (after?: string) => {
    if (!service) return;
    void run('roomBrowse', { service, filter: filter.slice(0, 200), after })
      .then((r) => {
        // Bounded: a service listing thousands of rooms pages; the tab keeps at most 1,000.
        setRooms((prev) => (after ? [...prev, ...r.rooms] : r.rooms).slice(0, 1000));
        setNext(r.next);
        setError(null);
      })
      .catch((e: unknown) => setError(errorText(e)));
  };
  useEffect(() => {
    if (!service) return;
    const timer = setTimeout(() => load(), 250);
    return () => clearTimeout(timer);
  }, [service, filter]);

  if (!open) {
    return <button type="button" class="button-quiet join-browse-open" data-testid="room-browse-open" onClick={() => setOpen(true)}>{t('join.browse')}</button>;
  }
  return (
    <section class="room-browser" data-testid="room-browser" aria-label={t('join.browse')}>
      {services && services.length === 0 ? <p>{t('join.noService')}</p> : null}
      {service ? <h2>{t('join.browseService', { service })}</h2> : null}
      <label class="visually-hidden" for="room-browse-filter">{t('join.filter')}</label>
      <input id="room-browse-filter" type="search" data-testid="room-browse-filter" placeholder={t('join.filter')} maxLength={200} value={filter} onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} />
      {error ? <p class="form-error">{t('join.browseError', { error })}</p> : null}
      <ul class="room-browse-list" data-testid="room-browse-list">
        {rooms.map((r) => (
          <li key={r.jid}>
            <button type="button" class="room-browse-item" data-testid="room-browse-item" data-jid={r.jid} onClick={() => onPick(r.jid)}>
              <bdi class="room-browse-name">{r.name ?? r.jid}</bdi>
              <span class="room-browse-jid">{r.jid}</span>
              {r.occupants !== null ? <span class="room-browse-count">{t('rooms.occupantCount', { count: r.occupants })}</span> : null}
            </button>
          </li>
        ))}
      </ul>
      {service && rooms.length === 0 && !error ? <p class="rooms-empty">{t('join.noRooms')}</p> : null}
      {next ? <button type="button" class="button-quiet" data-testid="room-browse-more" onClick={() => load(next)}>{t('join.moreRooms')}</button> : null}
    </section>
  );
}

/** The account's nickname if its profile has one, else the local part of the address. */
function defaultNick(fields: object | undefined, account: string): string {
  const nick = (fields as { nickname?: unknown } | undefined)?.nickname;
  if (typeof nick === 'string' && nick.trim()) return nick.trim().slice(0, 256);
  return account.slice(0, Math.max(0, account.indexOf('@'))) || account;
}
