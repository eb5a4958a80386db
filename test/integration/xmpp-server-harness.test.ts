/**
 * The test servers themselves: each kind of the matrix starts, creates accounts, counts sessions and restarts;
 * two ejabberd nodes run side by side (as concurrent test files do); a Prosody module that does not load fails the start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startXmppServer, testServers } from '../harness/xmpp-server.js';
import { TestProsody } from '../harness/prosody.js';
import { TestEjabberd } from '../harness/ejabberd.js';
import { XmppConnection } from '../../server/xmpp/connection.js';

for (const kind of testServers()) {
  test(`${kind}: accounts, session count, restart`, async () => {
    const server = await startXmppServer(kind);
    try {
      const jid = await server.createUser(`u${randomUUID().slice(0, 8)}`, 'pw');
      await assert.rejects(server.createUser(jid.split('@')[0]!, 'other'), 'an existing account is refused, not overwritten');
      assert.equal(await server.c2sSessionCount(jid), 0);
      const conn = await XmppConnection.open({ jid, password: 'pw', resource: 'r', service: `xmpp://127.0.0.1:${server.c2sPort}`, requireTls: false });
      assert.equal(await server.c2sSessionCount(jid), 1);
      await conn.stop();
      await server.restart();
      assert.equal(await server.c2sSessionCount(jid), 0);
    } finally {
      await server.stop();
    }
  });
}

test('two ejabberd nodes at once: own node names, cookies, ports', async () => {
  const [a, b] = await Promise.all([TestEjabberd.start(), TestEjabberd.start()]);
  try {
    assert.notEqual(a.c2sPort, b.c2sPort);
    await a.createUser('same', 'pw-a');
    await b.createUser('same', 'pw-b');
    const conn = await XmppConnection.open({ jid: 'same@localhost', password: 'pw-b', resource: 'r', service: `xmpp://127.0.0.1:${b.c2sPort}`, requireTls: false });
    assert.equal(await b.c2sSessionCount('same@localhost'), 1);
    assert.equal(await a.c2sSessionCount('same@localhost'), 0);
    await conn.stop();
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('a Prosody module that does not load fails the start at once, naming the Debian package', async () => {
  const started = Date.now();
  await assert.rejects(TestProsody.start({ extraModules: ['no_such_community_module'] }), /install the Debian package prosody-modules/);
  assert.ok(Date.now() - started < 8000, 'failed fast, not by timeout');
});
