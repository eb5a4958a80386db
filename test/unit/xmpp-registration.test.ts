/**
 * registerAccount against scripted XMPP servers on loopback ports: what it sends for a data form, and the clear
 * failures for a CAPTCHA, a web-only registration, a server that never answers, one that is not there, and one
 * that requires TLS it cannot give.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { registerAccount, RegistrationError } from '../../server/xmpp/registration.js';
import { freePort } from '../harness/ports.js';

const HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s' from='example.test' version='1.0'>`;
const FEATURES = `<stream:features><register xmlns='http://jabber.org/features/iq-register'/></stream:features>`;

interface Script {
  features?: string;
  /** the answer to the registration get; `ID` is replaced by the request's id */
  form?: string;
  /** the answer to the set */
  submit?: string;
  /** never answer the stream header */
  silent?: boolean;
  /** answer <starttls/> with <proceed/>, then bytes that are no TLS handshake */
  brokenTls?: boolean;
}

const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** A scripted server; `received` collects what the client sent after the stream header. */
async function fakeServer(script: Script): Promise<{ service: string; received: string[]; closed: Promise<void> }> {
  const received: string[] = [];
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => (markClosed = r));
  const server = net.createServer((socket) => {
    let buf = '';
    socket.on('close', () => markClosed());
    socket.on('error', () => {});
    socket.on('data', (d) => {
      if (script.silent) return;
      buf += d.toString();
      for (;;) {
        const header = /<\?xml[^>]*>|<stream:stream[^>]*>/.exec(buf);
        if (header && header.index === 0) {
          buf = buf.slice(header[0].length);
          if (header[0].startsWith('<stream:stream')) socket.write(HEADER + (script.features ?? FEATURES));
          continue;
        }
        const iq = /^<iq[^>]*type="(get|set)"[^>]*id="([^"]+)"[\s\S]*?<\/iq>|^<iq[^>]*id="([^"]+)"[^>]*type="(get|set)"[\s\S]*?<\/iq>/.exec(buf);
        if (iq) {
          buf = buf.slice(iq[0].length);
          received.push(iq[0]);
          const type = iq[1] ?? iq[4];
          const id = iq[2] ?? iq[3];
          const answer = type === 'get' ? script.form : script.submit;
          if (answer) socket.write(answer.replaceAll('ID', id!));
          continue;
        }
        if (script.brokenTls && buf.startsWith('<starttls')) {
          received.push(buf);
          buf = '';
          socket.write(`<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
          setTimeout(() => socket.end('this is not a TLS server hello'), 20);
          break;
        }
        if (buf.startsWith('</stream:stream>')) {
          received.push('</stream:stream>');
          buf = buf.slice('</stream:stream>'.length);
          socket.end('</stream:stream>');
        }
        break;
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { service: `xmpp://127.0.0.1:${(server.address() as net.AddressInfo).port}`, received, closed };
}

async function refusal(p: Promise<void>): Promise<RegistrationError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RegistrationError, String(err));
    return err;
  }
  assert.fail('registration should have failed');
}

test('a form-only server gets a submitted data form with its hidden fields; the stream is closed afterwards', async () => {
  const server = await fakeServer({
    form: `<iq type='result' id='ID'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'>
      <field var='FORM_TYPE' type='hidden'><value>jabber:iq:register</value></field><field var='nonce' type='hidden'><value>n1</value></field>
      <field var='username'><required/></field><field var='password' type='text-private'><required/></field></x></query></iq>`,
    submit: `<iq type='result' id='ID'/>`,
  });
  await registerAccount({ jid: 'Romeo@example.test', password: 'p<&>w', service: server.service });
  await server.closed;
  assert.equal(server.received.length, 3, server.received.join('\n'));
  assert.match(server.received[0]!, /<query xmlns="jabber:iq:register"\/>/);
  assert.match(server.received[1]!, /<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>jabber:iq:register<\/value><\/field><field var="nonce"><value>n1<\/value><\/field><field var="username"><value>romeo<\/value><\/field><field var="password"><value>p&lt;&amp;&gt;w<\/value><\/field><\/x>/);
  assert.equal(server.received[2], '</stream:stream>');
});

test('a CAPTCHA or a web page: "this server requires registration on its own website", and no password is sent', async () => {
  const captcha = await fakeServer({
    form: `<iq type='result' id='ID'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'>
      <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:captcha</value></field><field var='ocr'><required/></field></x></query></iq>`,
  });
  const err = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: captcha.service }));
  assert.equal(err.reason, 'website');
  assert.match(err.message, /this server requires registration on its own website/i);
  assert.ok(!captcha.received.join('').includes('secret-pw'));

  const web = await fakeServer({
    form: `<iq type='result' id='ID'><query xmlns='jabber:iq:register'><instructions>Use the web</instructions><x xmlns='jabber:x:oob'><url>https://example.test/signup</url></x></query></iq>`,
  });
  const webErr = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: web.service }));
  assert.equal(webErr.message, 'This server requires registration on its own website: https://example.test/signup.');
});

test('a refusal of the get by a server that does not offer registration means registration is closed', async () => {
  const server = await fakeServer({
    features: `<stream:features/>`,
    form: `<iq type='error' id='ID'><error type='cancel'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
  });
  const err = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: server.service }));
  assert.equal(err.reason, 'closed');
  assert.match(err.message, /closed registration/);
});

test('resource-constraint on the set: too many registrations, try later; the server text of not-acceptable is shown', async () => {
  const form = `<iq type='result' id='ID'><query xmlns='jabber:iq:register'><username/><password/></query></iq>`;
  const busy = await fakeServer({ form, submit: `<iq type='error' id='ID'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>` });
  const err = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: busy.service }));
  assert.equal(err.reason, 'busy');
  assert.match(err.message, /too many registrations.*Try again later/);
  const weak = await fakeServer({
    form,
    submit: `<iq type='error' id='ID'><error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Password too weak</text></error></iq>`,
  });
  const weakErr = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: weak.service }));
  assert.equal(weakErr.reason, 'invalid');
  assert.match(weakErr.message, /did not accept.*The server says: “Password too weak”/);
});

test('a server that never opens a stream gives up within the bound; a closed port: the same answer', async () => {
  const silent = await fakeServer({ silent: true });
  const started = Date.now();
  const err = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: silent.service, timeoutMs: 300 }));
  // Before the stream opened, a timeout reads as any other failure (issue 13: no probe of what listens where).
  assert.equal(err.reason, 'unreachable');
  assert.match(err.message, /Cannot reach the XMPP server of example\.test/);
  assert.ok(Date.now() - started < 2000);
  await silent.closed; // the socket is not left open

  const closedPort = await freePort();
  const gone = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: `xmpp://127.0.0.1:${closedPort}` }));
  assert.equal(gone.reason, 'unreachable');
  assert.match(gone.message, /Cannot reach the XMPP server of example\.test/);
});

test('TLS required but not offered: refused before any registration query', async () => {
  const server = await fakeServer({ form: `<iq type='result' id='ID'><query xmlns='jabber:iq:register'><username/><password/></query></iq>` });
  const err = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: server.service, requireTls: true }));
  assert.equal(err.reason, 'tls-failed');
  assert.match(err.message, /secure connection/);
  assert.deepEqual(server.received.filter((r) => r.startsWith('<iq')), []);
});

test('STARTTLS offered but the handshake fails: a TLS failure, and the password never leaves', async () => {
  const server = await fakeServer({
    features: `<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><register xmlns='http://jabber.org/features/iq-register'/></stream:features>`,
    brokenTls: true,
  });
  const err = await refusal(registerAccount({ jid: 'romeo@example.test', password: 'secret-pw', service: server.service, timeoutMs: 5000 }));
  assert.equal(err.reason, 'tls-failed');
  assert.match(err.message, /Could not establish a secure connection to example\.test/);
  assert.ok(server.received.some((r) => r.startsWith('<starttls')));
  assert.ok(!server.received.join('').includes('secret-pw'));
});

test('a malformed address is refused without any connection', async () => {
  for (const jid of ['example.test', 'a b@example.test', 'romeo@example.test/res']) {
    assert.equal((await refusal(registerAccount({ jid, password: 'x', service: 'xmpp://127.0.0.1:1' }))).reason, 'invalid', jid);
  }
});
