/** Entry point of the app page: wires the socket's events into the stores and the stores into the views. */
import { AppState, previewText, type EventName, type EventPayload } from '../state/app-state.js';
import { mountBanner } from '../ui/banner.js';
import { mountComposer } from '../ui/composer.js';
import { announce, mountConversation } from '../ui/conversation.js';
import { byId } from '../ui/dom.js';
import { mountRoster } from '../ui/roster.js';
import { mountProfile } from '../ui/profile.js';
import { mountAddContact, mountPresenceSelect } from '../ui/sidebar-forms.js';
import { command, connectSocket, type RunCommand } from './socket.js';
import { peerFromHash } from './router.js';
import { handover, startOmemo } from './omemo-loader.js';
import { mountHandover } from '../ui/handover.js';
import { refreshDecrypted } from '../ui/message-item.js';
import { refreshEncryptionToggle } from '../ui/composer.js';

const state = new AppState();
state.own.set({ account: document.body.dataset.account ?? '' });

const socket = connectSocket();
const run: RunCommand = (name, payload) => command(socket, name, payload);

mountBanner(state.connection, byId('connection-banner'));
const roster = mountRoster(state, byId<HTMLUListElement>('contact-list'), byId('roster-empty'));
mountPresenceSelect(state, run);
mountAddContact(state, run);
const conversation = mountConversation(state, run, () => socket.connected);
const profile = mountProfile(run);
const composer = mountComposer({
  run,
  peer: () => state.openPeer,
  onSent: (message) => {
    state.apply('message', { message });
    conversation.scrollToBottom();
  },
});
const announcer = byId('announcer');

// The encryption panel and its QR libraries load on first use.
byId('security-open').addEventListener('click', () => {
  const peer = state.openPeer;
  if (peer) void import('../ui/security-panel.js').then((m) => m.openSecurityPanel(peer, run));
});

// Events that only feed the stores.
const forwarded: EventName[] = ['connection', 'contacts', 'contact', 'presence', 'read', 'degraded'];
for (const event of forwarded) {
  socket.on(event, ((payload: EventPayload<typeof event>) => state.apply(event, payload)) as never);
}

socket.on('hello', (hello) => {
  // Sent on every (re)connect: the snapshot replaces what this tab knew.
  state.apply('hello', hello);
  conversation.reload();
  updateTitle();
  // After the first paint: the OMEMO layer (and its crypto library) loads on its own.
  // Message items wait for it themselves, so nothing is reloaded (a reload could overwrite newer events with an older page).
  void startOmemo(hello.account, run).then((service) => {
    if (service) refreshEncryptionToggle();
  });
  void handover().then(attachHandover);
});

// The history handover: offers to and from this account's other browsers, and bubbles that become readable.
let handoverAttached = false;
function attachHandover(h: Awaited<ReturnType<typeof handover>>): void {
  if (!h || handoverAttached) return;
  handoverAttached = true;
  mountHandover(h, state);
  h.onEvent((e) => {
    if (e.kind === 'plaintexts') refreshDecrypted(e.ids);
  });
}
socket.on('omemoRelay', (e) => {
  void handover().then((h) => h?.handleRelay(e));
});

socket.on('omemoDevices', (e) => {
  void startOmemo(state.own.account, run).then((service) => service?.handleDevicesEvent(e));
  void handover().then((h) => h?.handleDevicesEvent(e));
});

socket.on('message', (e) => {
  state.apply('message', e);
  const m = e.message;
  if (m.direction === 'in' && m.state === 'received') {
    announce(announcer, `New message from ${state.contacts.displayName(m.peer)}: ${previewText(m.body, m.encrypted, m.attachment) ?? ''}`);
  }
});

socket.on('logout', () => location.assign('/login'));

socket.on('connect', () => state.connection.setSocket('connected'));
socket.on('connect_error', () => state.connection.setSocket('disconnected'));
socket.on('disconnect', (reason) => {
  state.connection.setSocket('disconnected');
  // The server hung up on purpose (after `logout`, which navigates away, or a failed snapshot): socket.io
  // does not retry that by itself, so try again shortly.
  if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 2000);
});

function updateTitle(): void {
  const unread = state.conversations.all().reduce((n, c) => n + c.unread, 0);
  document.title = unread > 0 ? `(${unread}) Parley` : 'Parley';
}
state.conversations.subscribe(updateTitle);

function route(): void {
  const peer = peerFromHash(location.hash);
  conversation.open(peer);
  profile.follow(peer);
  roster.render();
  if (peer && window.matchMedia('(min-width: 760px)').matches) composer.focus();
}
window.addEventListener('hashchange', route);
route();
