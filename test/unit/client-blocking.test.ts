import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppState, rosterEntries } from '../../client/state/app-state.js';

test('the blocklist event feeds the store; roster entries are marked; a domain block covers its JIDs', () => {
  const state = new AppState();
  state.contacts.replaceContacts([
    { jid: 'bob@example.org', name: 'Bob', subscription: 'both', ask: false, groups: [] },
    { jid: 'carol@example.org', name: 'Carol', subscription: 'both', ask: false, groups: [] },
    { jid: 'eve@spam.example', name: 'Eve', subscription: 'none', ask: false, groups: [] },
  ]);
  let revisions = 0;
  state.blocked.subscribe(() => revisions++);
  state.apply('blocklist', { jids: ['bob@example.org', 'spam.example'], supported: true });
  assert.equal(revisions, 1);
  const blocked = Object.fromEntries(rosterEntries(state).map((e) => [e.jid, e.blocked]));
  assert.deepEqual(blocked, { 'bob@example.org': true, 'carol@example.org': false, 'eve@spam.example': true });
  assert.deepEqual(state.blocked.all(), ['bob@example.org', 'spam.example']);
  state.apply('blocklist', { jids: [], supported: false });
  assert.equal(state.blocked.has('bob@example.org'), false);
  assert.equal(state.blocked.supported, false);
});
