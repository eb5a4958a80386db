/** Login time (open → bound + SM enabled) at 100 and 4096 SCRAM iterations; median of 20 sequential logins. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestProsody } from '../harness/prosody.js';
import { XmppConnection } from '../../server/xmpp/connection.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const iterations of [100, 4096]) {
  test(`login time at ${iterations} SCRAM iterations`, async (t) => {
    const prosody = await TestProsody.start({ scramIterations: iterations });
    t.after(() => prosody.stop());
    const jid = await prosody.createUser('timer', 'pw');
    const service = `xmpp://127.0.0.1:${prosody.c2sPort}`;
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const conn = await XmppConnection.open({ jid, password: 'pw', service });
      times.push(performance.now() - started);
      assert.equal(conn.scramKeys()?.iterations, iterations);
      await conn.stop();
    }
    const m = median(times);
    t.diagnostic(`median login ${m.toFixed(1)} ms at ${iterations} iterations (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`);
    // Native PBKDF2: 4096 iterations cost a few ms, not the ~0.5 s of one WebCrypto HMAC per iteration.
    assert.ok(m < 200, `median ${m} ms`);
  });
}
