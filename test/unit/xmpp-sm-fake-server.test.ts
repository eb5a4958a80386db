/**
 * Regression test for the @xmpp 0.14 ack-counter bug (NOTES.md): a fake XMPP server on a local TCP port sends
 * <enabled/>, two messages and an <r/> in ONE chunk. The client must answer <a h='2'/> (not 0), deliver both
 * messages, and resolve sendAcked() on the server's <a h/>.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { xml, type Element } from '@xmpp/xml';
import { XmppConnection } from '../../server/xmpp/connection.js';

const HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s' from='example.test' version='1.0'>`;
const SASL_FEATURES = `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`;
const BOUND_FEATURES = `<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>`;

/** Scripted server: answers each client step; records every ack value the client sends. */
function fakeServer() {
  const acks: number[] = [];
  let client: net.Socket | null = null;
  const server = net.createServer((socket) => {
    client = socket;
    let buf = '';
    let headers = 0;
    socket.on('data', (d) => {
      buf += d.toString();
      for (;;) {
        if (buf.includes('<stream:stream') && headers < 2 && /<stream:stream[^>]*>/.test(buf)) {
          buf = buf.replace(/<\?xml[^>]*>/, '').replace(/<stream:stream[^>]*>/, '');
          headers++;
          socket.write(HEADER + (headers === 1 ? SASL_FEATURES : BOUND_FEATURES));
          continue;
        }
        let m = /<auth[^>]*>[^<]*<\/auth>/.exec(buf);
        if (m) {
          buf = buf.replace(m[0], '');
          socket.write(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`);
          continue;
        }
        m = /<iq[^>]*id="([^"]+)"[^>]*><bind[\s\S]*?<\/iq>/.exec(buf);
        if (m) {
          buf = buf.replace(m[0], '');
          socket.write(`<iq type='result' id='${m[1]}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>user@example.test/r</jid></bind></iq>`);
          continue;
        }
        m = /<enable[^>]*\/>/.exec(buf);
        if (m) {
          buf = buf.replace(m[0], '');
          // The whole point: <enabled/>, stanzas and an ack request in one write, hence one 'data' event.
          socket.write(
            `<enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/>` +
              `<message from='peer@example.test/x' to='user@example.test/r' id='m1' type='chat'><body>one</body></message>` +
              `<message from='peer@example.test/x' to='user@example.test/r' id='m2' type='chat'><body>two</body></message>` +
              `<r xmlns='urn:xmpp:sm:3'/>`,
          );
          continue;
        }
        m = /<a xmlns="urn:xmpp:sm:3" h="(\d+)"\/>/.exec(buf);
        if (m) {
          buf = buf.replace(m[0], '');
          acks.push(Number(m[1]));
          continue;
        }
        m = /<message[\s\S]*?<\/message>/.exec(buf);
        if (m) {
          buf = buf.replace(m[0], '');
          continue;
        }
        m = /<r xmlns="urn:xmpp:sm:3"\/>/.exec(buf);
        if (m) {
          buf = buf.replace(m[0], '');
          socket.write(`<a xmlns='urn:xmpp:sm:3' h='1'/>`);
          continue;
        }
        break;
      }
    });
    socket.on('error', () => {});
  });
  return { server, acks, client: () => client };
}

test('stanzas in the same chunk as <enabled/> are counted after the reset; sendAcked resolves on <a/>', async () => {
  const fake = fakeServer();
  fake.server.listen(0, '127.0.0.1');
  await once(fake.server, 'listening');
  after(() => fake.server.close());
  const port = (fake.server.address() as net.AddressInfo).port;

  const conn = await XmppConnection.open({ jid: 'user@example.test', password: 'pw', resource: 'r', service: `xmpp://127.0.0.1:${port}`, timeoutMs: 5000 });
  after(() => conn.stop());
  assert.equal(conn.jid, 'user@example.test/r');
  assert.equal(conn.state, 'online');

  const received: Element[] = [];
  conn.on('stanza', (el: Element) => received.push(el));
  await new Promise((r) => setTimeout(r, 100));
  // Both messages reached the first listener although they were parsed before open() resolved.
  assert.deepEqual(received.map((el) => el.attrs.id), ['m1', 'm2']);
  // The <r/> in that chunk was answered with h=2: the reset happened before the two messages were counted.
  assert.deepEqual(fake.acks, [2]);
  assert.equal(conn.smStatus.inbound, 2);

  await conn.sendAcked(xml('message', { to: 'peer@example.test', type: 'chat' }, xml('body', {}, 'hi')));
  assert.equal(conn.smStatus.acked, 1);
});
