import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageDTO } from '../../server/realtime/contract.js';
import { AppState } from '../../client/state/app-state.js';
import { ChatStatesStore, TYPING_EXPIRES_MS, TypingSender, type Clock } from '../../client/state/chat-states.js';
import { merge } from '../../client/state/progress.js';
import { forDecryption, versionAsMessage } from '../../client/ui/chat/versions.js';
import { lastEditable } from '../../client/ui/chat/edit-state.js';

const PEER = 'bob@example.org';
function msg(id: number, extra: Partial<MessageDTO> = {}): MessageDTO {
  return {
    id: String(id), peer: PEER, direction: 'in', from: PEER, to: 'alice@example.org', body: `m${id}`, encrypted: null,
    stamp: new Date(Date.UTC(2026, 0, 1, 12, 0, id)).toISOString(), state: 'received', originId: `o${id}`, stanzaId: null, ...extra,
  };
}

/** A clock the test moves by hand. */
function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    later(fn, ms) {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => (timers = timers.filter((t) => t !== timer));
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

test('typing shows for composing and expires when nothing follows', () => {
  const clock = fakeClock();
  const s = new ChatStatesStore(clock);
  s.set(PEER, 'composing');
  assert.equal(s.typing(PEER), true);
  clock.advance(TYPING_EXPIRES_MS - 1);
  assert.equal(s.typing(PEER), true);
  clock.advance(1);
  assert.equal(s.typing(PEER), false);
  s.set(PEER, 'composing');
  s.set(PEER, 'paused');
  assert.equal(s.typing(PEER), false);
});

test('a message from the contact ends their typing; a correction does not count as one', () => {
  const state = new AppState();
  state.apply('chatState', { peer: PEER, state: 'composing' });
  state.apply('message', { message: msg(1, { version: 1, editedAt: '2026-01-01T12:00:09Z' }) });
  assert.equal(state.chatStates.typing(PEER), true);
  state.apply('message', { message: msg(2) });
  assert.equal(state.chatStates.typing(PEER), false);
});

test('the typing sender: composing at most once per 5 s of typing, paused after 5 s idle, active on send', () => {
  const clock = fakeClock();
  const sent: string[] = [];
  const s = new TypingSender((state) => sent.push(state), clock);
  for (let i = 0; i < 20; i++) {
    s.input(true);
    clock.advance(200);
  }
  assert.deepEqual(sent, ['composing']);
  clock.advance(1200); // 5 s since the first keystroke
  s.input(true);
  assert.deepEqual(sent, ['composing', 'composing']);
  clock.advance(TypingSender.IDLE_MS);
  assert.deepEqual(sent, ['composing', 'composing', 'paused']);
  s.input(true);
  s.sent();
  s.sent();
  assert.deepEqual(sent, ['composing', 'composing', 'paused', 'composing', 'active']);
  clock.advance(TypingSender.IDLE_MS);
  assert.equal(sent.at(-1), 'active', 'no paused after the message went');
});

test('a correction replaces the content even when its copy says an older state; an older copy cannot undo it', () => {
  const held = msg(1, { direction: 'out', state: 'displayed' });
  const corrected = merge(held, msg(1, { direction: 'out', state: 'sent', body: 'fixed', version: 1, editedAt: '2026-01-01T13:00:00Z' }));
  assert.equal(corrected.state, 'displayed');
  assert.equal(corrected.body, 'fixed');
  assert.equal(corrected.version, 1);
  const stale = merge(corrected, msg(1, { direction: 'out', state: 'displayed' }));
  assert.equal(stale.body, 'fixed');
  const retracted = merge(stale, msg(1, { direction: 'out', state: 'displayed', body: null, retractedAt: '2026-01-01T14:00:00Z' }));
  assert.equal(retracted.body, null);
  assert.equal(retracted.version, undefined);
  assert.equal(merge(retracted, corrected).retractedAt, '2026-01-01T14:00:00Z', 'a tombstone stays one');
});

test('deletions drop messages from the list and the preview; a deleted conversation leaves the sidebar', () => {
  const state = new AppState();
  for (const i of [1, 2, 3]) state.apply('message', { message: msg(i) });
  state.apply('messageDeleted', { peer: PEER, ids: ['3'] });
  assert.deepEqual(state.messages.get(PEER).messages.map((m) => m.id), ['1', '2']);
  assert.equal(state.conversations.get(PEER)?.last.id, '2');
  assert.equal(state.conversations.get(PEER)?.unread, 2);
  state.apply('conversationDeleted', { peer: PEER, ids: ['1', '2'] });
  assert.deepEqual(state.messages.get(PEER).messages, []);
  assert.equal(state.messages.get(PEER).hasMore, false);
  assert.equal(state.conversations.get(PEER), undefined);
});

test('encrypted versions decrypt under their own keys; only our last, unretracted text message is editable', () => {
  const enc = msg(7, { direction: 'out', encrypted: '<encrypted/>', version: 2, correctionId: 'c2' });
  assert.deepEqual([forDecryption(enc).id, forDecryption(enc).originId], ['7.2', 'c2']);
  assert.equal(forDecryption(msg(8)).id, '8');
  const v0 = versionAsMessage(enc, { version: 0, body: null, encrypted: '<e0/>', sourceId: 'o7', stamp: enc.stamp });
  assert.deepEqual([v0.id, v0.originId, v0.encrypted], ['7', 'o7', '<e0/>']);
  assert.equal(lastEditable([msg(1, { direction: 'out' }), msg(2)])?.id, '1');
  assert.equal(lastEditable([msg(1, { direction: 'out' }), msg(2, { direction: 'out', retractedAt: 'x' })]), undefined);
});
