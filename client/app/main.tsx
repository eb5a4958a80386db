/** Entry point of the app page: wires the socket's events into the stores, and renders the app into the page. */
import { render } from 'preact';
import type { MessageDTO } from '../../server/realtime/contract.js';
import { AppState, previewText, type EventName, type EventPayload } from '../state/app-state.js';
import { HistoryLoader } from '../state/history.js';
import { announce, omemoSettled, plaintextsArrived, sentSignal } from '../state/tab.js';
import { App } from '../ui/app.js';
import { Services, type AppServices } from '../ui/context.js';
import { initLocale, t } from '../i18n/index.js';
import { command, connectSocket, type RunCommand } from './socket.js';
import { handover, omemo, startOmemo } from './omemo-loader.js';
import { applyTheme, notify, notificationsAllowed, showNotification } from './preferences.js';
import { SearchModel } from '../state/search.js';
import { MutesStore } from '../state/mutes.js';
import { browserCoordinator, notificationTitle } from '../notify/coordinator.js';
import { kindOf } from '../state/conversations.js';
import { roomName } from '../state/rooms.js';
import { matchesAll } from '../../server/realtime/contract/search-text.js';
import { registerServiceWorker } from '../pwa/register.js';
import { PwaStatus } from '../pwa/PwaStatus.js';
import { forgetRoom, noteRoom, syncRooms } from '../ui/chat/encryption.js';
import { preloadLazyComponents } from '../ui/lazy.js';

applyTheme();
const page = document.body.dataset;
const state = new AppState();
state.own.set({ account: page.account ?? '' });

const socket = connectSocket();
const run: RunCommand = (name, payload) => command(socket, name, payload);
// A page's reactions (XEP-0444) go to their store before its messages render.
const history = new HistoryLoader(state.messages, (p) => run('history', p).then((page) => (state.reactions.addPage(page.reactions), page)), () => socket.connected, {
  around: (p) => run('historyAround', p),
  newer: (p) => run('historyNewer', p),
});
const mutes = new MutesStore();
let omemoReady: Awaited<ReturnType<typeof omemo>> = null;
const search = new SearchModel(
  (p) => run('search', p),
  () => {
    const service = omemoReady;
    if (!service) return null;
    return (terms, peer) => service.searchPlaintexts((text) => matchesAll(text, terms), peer);
  },
);
const coordinator = browserCoordinator(page.account ?? '', {
  visible: () => document.visibilityState === 'visible',
  enabled: notificationsAllowed,
  muted: (peer) => mutes.has(peer),
  show: ({ title, body, peer }) => showNotification(title, body, peer),
});

const services: AppServices = {
  state,
  history,
  search,
  mutes,
  run,
  connected: () => socket.connected,
  onSent: (message) => {
    state.apply('message', { message });
    sentSignal.value++;
  },
  csrfToken: page.csrf ?? '',
  uploadLimitBytes: Number(page.uploadLimit ?? '0') || 0,
};

// Events that only feed the stores.
const forwarded: EventName[] = ['connection', 'contacts', 'contact', 'presence', 'read', 'degraded', 'subscriptionRequests', 'ownPresence', 'ownProfile', 'blocklist', 'avatar', 'chatState', 'reactions',
  // Group chats (client/state/rooms.ts).
  'room', 'roomRemoved', 'occupants', 'invitation', 'invitationGone', 'moderated'];
for (const event of forwarded) {
  socket.on(event, ((payload: EventPayload<typeof event>) => state.apply(event, payload)) as never);
}

socket.on('hello', (hello) => {
  // Sent on every (re)connect: the snapshot replaces what this tab knew; the open conversation reloads its newest page.
  state.apply('hello', hello);
  state.connection.helloReceived();
  // The blocklist is not in the snapshot: asked once per (re)connect, then kept current by `blocklist` events.
  void run('blocklist', {}).then((r) => state.apply('blocklist', r), () => undefined);
  // Mutes too: asked once per (re)connect, then kept current by `mutes` events.
  void run('mutes', {}).then((r) => mutes.set(r.peers), () => undefined);
  // After the first paint: the parts of the app it did not need, and the OMEMO layer (and its crypto library), load on their own.
  preloadLazyComponents();
  void startOmemo(hello.account, run).then((service) => {
    omemoReady = service;
    omemoSettled.value = true;
  });
  void handover().then(followHandover);
});

/** Bubbles that could not be read try again when a history handover brought their plaintexts (once per tab). */
let followingHandover = false;
function followHandover(h: Awaited<ReturnType<typeof handover>>): void {
  if (!h || followingHandover) return;
  followingHandover = true;
  h.onEvent((e) => {
    if (e.kind === 'plaintexts') plaintextsArrived.value = new Set(e.ids);
  });
}

// Which conversations are rooms, and whether each allows OMEMO: the composer's encryption decision (ui/chat/encryption.ts).
socket.on('hello', (hello) => syncRooms(hello.rooms));
socket.on('room', (e) => noteRoom(e.room));
socket.on('roomRemoved', (e) => forgetRoom(e.jid));

socket.on('omemoRelay', (e) => {
  void handover().then((h) => h?.handleRelay(e));
});

socket.on('omemoDevices', (e) => {
  void startOmemo(state.own.account, run).then((service) => service?.handleDevicesEvent(e));
  void handover().then((h) => h?.handleDevicesEvent(e));
});

// Deleted for this account, or retracted: the plaintexts this browser kept of them go too.
const forgetPlaintexts = (ids: readonly string[]): void => {
  void omemo().then((service) => service?.plaintexts.forget(ids)).catch(() => undefined);
};
socket.on('messageDeleted', (e) => {
  state.apply('messageDeleted', e);
  forgetPlaintexts(e.ids);
});
socket.on('conversationDeleted', (e) => {
  state.apply('conversationDeleted', e);
  forgetPlaintexts(e.ids);
});

socket.on('message', (e) => {
  state.apply('message', e);
  const m = e.message;
  if (m.retractedAt !== undefined) forgetPlaintexts([m.id]);
  // A correction or retraction is not a new message: no announcement, no notification.
  if (m.version !== undefined || m.retractedAt !== undefined) return;
  if (m.direction === 'in' && m.state === 'received') {
    // Rooms notify (and announce) only mentions of our nick; MUC-PMs are titled as such, apart from direct chats.
    const name = notificationTitle(m, state.conversations.get(m.peer)?.kind ?? kindOf(m, (jid) => state.rooms.has(jid)), notificationNames);
    if (name === null) return;
    const preview = m.encrypted !== null ? t('preview.encrypted') : previewText(m.body, null, m.attachment) ?? '';
    announce(t('announce.message', { name, text: preview }));
    if (!coordinator) notify(name, preview, m.peer);
    else void coordinator.offer({ id: m.id, peer: m.peer, title: name, body: () => notificationText(m, preview) });
  }
});

socket.on('mutes', (e) => mutes.set(e.peers));

const notificationNames = {
  contact: (jid: string) => state.contacts.displayName(jid),
  room: (jid: string) => {
    const r = state.rooms.get(jid);
    return roomName(r ?? { jid, name: null });
  },
  mention: (nick: string, room: string) => t('rooms.notifyMention', { nick, room }),
  pm: (nick: string, room: string) => t('rooms.notifyPm', { nick, room }),
};

/** An encrypted message's text only when this tab can decrypt it (its own device, or this browser's cache). */
async function notificationText(m: MessageDTO, preview: string): Promise<string> {
  if (m.encrypted === null) return preview;
  const service = await Promise.race([omemo(), new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
  if (!service) return preview;
  const shown = await Promise.race([service.decryptMessage(m), new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
  return shown && shown.status === 'ok' ? shown.text : preview;
}

// After the account was deleted, or this browser was signed out from another one, the login page says so.
const LOGIN_NOTICES: Record<string, string> = { 'account-deleted': 'deleted', 'signed-out': 'signed-out' };
socket.on('logout', (e) => location.assign(LOGIN_NOTICES[e?.reason] ? `/login?notice=${LOGIN_NOTICES[e.reason]}` : '/login'));

socket.on('connect', () => state.connection.setSocket('connected'));
socket.on('connect_error', () => state.connection.setSocket('disconnected'));
socket.on('disconnect', (reason) => {
  state.connection.setSocket('disconnected');
  // The server hung up on purpose (after `logout`, which navigates away, or a failed snapshot): socket.io
  // does not retry that by itself, so try again shortly.
  if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 2000);
});

// Whether anyone looks at this tab: the server goes CSI-inactive and, after a while, away when no tab is visible.
document.addEventListener('visibilitychange', () => {
  if (socket.connected) void run('visibility', { visible: document.visibilityState === 'visible' }).catch(() => undefined);
});

function updateTitle(): void {
  const unread = state.conversations.all().reduce((n, c) => n + c.unread, 0);
  document.title = unread > 0 ? t('app.titleUnread', { count: unread }) : t('app.title');
}
state.conversations.subscribe(updateTitle);

const root = document.getElementById('app');
if (!root) throw new Error('The page is missing #app');
// The catalog of the tab's language (a small chunk unless English) before the first render: no flash of English.
await initLocale();
root.replaceChildren();
render(
  <Services.Provider value={services}>
    <App />
    <PwaStatus />
  </Services.Provider>,
  root,
);
// The bench (bench/client.ts) reads when the live app replaced the page's frame.
performance.mark('parley-app-rendered');
registerServiceWorker();
