import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppState } from '../../client/state/app-state.js';

test('reactions events and history pages feed the per-message store; toggling builds our whole new set', () => {
  const state = new AppState();
  const me = 'alice@example.org';
  const bob = 'bob@example.org';
  const seen: number[] = [];
  const sig = state.reactions.of('7');
  assert.deepEqual(sig.value, []);
  state.apply('reactions', { peer: bob, id: '7', reactions: [{ emoji: '👍', from: [bob, me] }, { emoji: '🎉', from: [bob] }] });
  seen.push(sig.value.length);
  assert.deepEqual(state.reactions.toggled('7', me, '👍'), []);
  assert.deepEqual(state.reactions.toggled('7', me, '🎉'), ['👍', '🎉']);
  // A page names only messages with reactions; others keep what they had.
  state.reactions.addPage([{ peer: bob, id: '8', reactions: [{ emoji: '🔥', from: [bob] }] }]);
  assert.equal(state.reactions.of('7').value.length, 2);
  assert.equal(state.reactions.of('8').value[0]!.emoji, '🔥');
  state.apply('reactions', { peer: bob, id: '7', reactions: [] });
  assert.deepEqual(state.reactions.of('7').value, []);
  assert.deepEqual(state.reactions.toggled('7', me, '👍'), ['👍']);
  assert.deepEqual(seen, [2]);
});
