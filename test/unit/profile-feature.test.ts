/**
 * The Profiles feature against a scripted XMPP server (the connection is the fake here; the feature is real):
 * the order of requests, every failure as a state, the cache and its bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'ltx/lib/parse.js';
import type { Element } from '@xmpp/xml';
import { Profiles } from '../../server/features/profile.js';
import { XmppStanzaError } from '../../server/xmpp/errors.js';
import { createLogger } from '../../server/app/logger.js';

const el = (s: string) => parse(s) as unknown as Element;
type Answer = Element | Error | 'hang';

const log = createLogger('silent');
const ME = 'alice@example.org';
const discoResult = (features: string[]) =>
  el(`<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info'>${features.map((f) => `<feature var='${f}'/>`).join('')}</query></iq>`);

/**
 * Answers a vCard4 (PEP) request with `pep`, a vcard-temp request with `temp` and our own disco#info with `disco`
 * (by default a server that does not convert vcard-temp); records what was asked.
 */
function server(pep: () => Answer, temp: () => Answer, disco: () => Answer = () => discoResult([])) {
  const asked: string[] = [];
  const conn = {
    iq(request: Element, timeoutMs = 30_000): Promise<Element> {
      const kind = request.getChild('pubsub') ? 'vcard4' : request.getChild('vCard') ? 'vcard-temp' : 'disco';
      asked.push(`${kind} ${request.attrs.to ?? ''}`.trim());
      const answer = kind === 'vcard4' ? pep() : kind === 'vcard-temp' ? temp() : disco();
      if (answer === 'hang') {
        return new Promise((_, reject) => setTimeout(() => reject(new XmppStanzaError('remote-server-timeout', 'wait', `no answer within ${timeoutMs} ms`)), timeoutMs));
      }
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
  return { ctx: { conn, log, jid: ME }, asked, vcardTempAsks: () => asked.filter((a) => a.startsWith('vcard-temp')).length };
}

const stanzaError = (condition: string) => new XmppStanzaError(condition, 'cancel');
const v4 = (fn: string) =>
  el(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:vcard4'><item id='current'>
    <vcard xmlns='urn:ietf:params:xml:ns:vcard-4.0'><fn><text>${fn}</text></fn></vcard></item></items></pubsub></iq>`);
const temp = (inner: string) => el(`<iq type='result'><vCard xmlns='vcard-temp'>${inner}</vCard></iq>`);

test('vCard4 first; no vcard-temp request when PEP has one', async () => {
  const { ctx, asked, vcardTempAsks } = server(() => v4('Bob'), () => stanzaError('undefined-condition'));
  const p = await new Profiles(ctx).get('bob@example.org');
  assert.equal(p.state, 'found');
  assert.equal(p.source, 'vcard4');
  assert.equal(p.fields.fn, 'Bob');
  assert.deepEqual(asked, ['vcard4 bob@example.org']);
});

test('no vCard4 (item-not-found, service-unavailable, empty node): vcard-temp is read', async () => {
  const emptyNode = el(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:vcard4'/></pubsub></iq>`);
  for (const pep of [stanzaError('item-not-found'), stanzaError('service-unavailable'), stanzaError('feature-not-implemented'), emptyNode]) {
    const { ctx, asked, vcardTempAsks } = server(() => pep, () => temp('<FN>Old Bob</FN>'));
    const p = await new Profiles(ctx).get('bob@example.org');
    assert.deepEqual([p.state, p.source, p.fields.fn], ['found', 'vcard-temp', 'Old Bob']);
    assert.equal(vcardTempAsks(), 1);
  }
});

test('every failure is an empty profile with a state, never a throw', async () => {
  const cases: [Answer, Answer | null, string][] = [
    [stanzaError('item-not-found'), stanzaError('item-not-found'), 'empty'],
    [stanzaError('item-not-found'), el(`<iq type='result'/>`), 'empty'],
    [stanzaError('item-not-found'), stanzaError('service-unavailable'), 'empty'],
    // Prosody: a node we may not read, or an account that does not exist; its vcard-temp answer is then an empty vCard.
    [stanzaError('forbidden'), temp(''), 'forbidden'],
    [stanzaError('service-unavailable'), stanzaError('service-unavailable'), 'unavailable'],
    [stanzaError('not-allowed'), null, 'unavailable'],
    [stanzaError('remote-server-not-found'), null, 'unavailable'],
    [stanzaError('internal-server-error'), null, 'error'],
    [new TypeError('socket closed'), null, 'error'],
    [el(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:vcard4'><item><junk xmlns='x'/></item></items></pubsub></iq>`), null, 'malformed'],
    [stanzaError('item-not-found'), el(`<iq type='result'><query xmlns='jabber:iq:version'/></iq>`), 'malformed'],
    [stanzaError('item-not-found'), stanzaError('forbidden'), 'forbidden'],
  ];
  for (const [pep, legacy, state] of cases) {
    const { ctx, asked, vcardTempAsks } = server(() => pep, () => legacy ?? stanzaError('undefined-condition'));
    const p = await new Profiles(ctx).get('bob@example.org');
    assert.equal(p.state, state, `${String(pep)} then ${String(legacy)}`);
    assert.equal(vcardTempAsks(), legacy === null ? 0 : 1, 'vcard-temp asked only after a missing vCard4');
    assert.equal(p.fields.fn, null);
    assert.deepEqual(p.fields.emails, []);
  }
});

test('our server converts vcard-temp from vCard4: not asked for its own accounts (one disco per session), still asked elsewhere', async () => {
  const { ctx, asked, vcardTempAsks } = server(() => stanzaError('forbidden'), () => temp('<FN>remote</FN>'), () => discoResult(['urn:xmpp:pep-vcard-conversion:0']));
  const profiles = new Profiles(ctx);
  assert.equal((await profiles.get('bob@example.org')).state, 'forbidden');
  assert.equal((await profiles.get('carol@EXAMPLE.org')).state, 'forbidden');
  assert.equal(vcardTempAsks(), 0);
  assert.equal(asked.filter((a) => a === 'disco').length, 1, 'the server is asked once');
  const remote = await profiles.get('dan@elsewhere.example');
  assert.deepEqual([remote.state, remote.source, remote.fields.fn], ['found', 'vcard-temp', 'remote']);
});

test('a contact that never answers gives the timeout state within the bound', async () => {
  const { ctx } = server(() => 'hang', () => 'hang');
  const t0 = Date.now();
  const p = await new Profiles(ctx, { iqTimeoutMs: 50 }).get('slow@example.org');
  assert.equal(p.state, 'timeout');
  assert.ok(Date.now() - t0 < 1000);
});

test('cache: served within the TTL, fresh asks again, failures expire sooner, concurrent asks share one request', async () => {
  let name = 'One';
  const { ctx, asked, vcardTempAsks } = server(() => v4(name), () => stanzaError('undefined-condition'));
  const profiles = new Profiles(ctx, { ttlMs: 60_000 });
  const [a, b] = await Promise.all([profiles.get('bob@example.org'), profiles.get('bob@example.org')]);
  assert.equal(a, b);
  assert.equal(asked.length, 1, 'two tabs at once: one request');
  name = 'Two';
  assert.equal((await profiles.get('bob@example.org')).fields.fn, 'One');
  assert.equal((await profiles.get('bob@example.org', true)).fields.fn, 'Two');
  assert.equal(asked.length, 2);

  let fail = true;
  const flaky = server(() => (fail ? stanzaError('internal-server-error') : v4('Back')), () => stanzaError('undefined-condition'));
  const short = new Profiles(flaky.ctx, { ttlMs: 60_000, failureTtlMs: 20 });
  assert.equal((await short.get('bob@example.org')).state, 'error');
  fail = false;
  assert.equal((await short.get('bob@example.org')).state, 'error', 'the failure is remembered briefly');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal((await short.get('bob@example.org')).state, 'found');
});

test('an older request overtaken by a fresh one does not put its stale answer in the cache', async () => {
  const answers: ((el: Element) => void)[] = [];
  const conn = { iq: () => new Promise<Element>((resolve) => answers.push(resolve)) };
  const profiles = new Profiles({ conn, log, jid: ME });
  const old = profiles.get('bob@example.org');
  const fresh = profiles.get('bob@example.org', true);
  assert.equal(answers.length, 2, 'a fresh ask does not join the running one');
  answers[1]!(v4('New'));
  assert.equal((await fresh).fields.fn, 'New');
  answers[0]!(v4('Old'));
  assert.equal((await old).fields.fn, 'Old');
  assert.equal((await profiles.get('bob@example.org')).fields.fn, 'New', 'the cache keeps the newer answer');
  assert.equal(answers.length, 2);
});

test('the cache holds at most maxEntries profiles', async () => {
  const { ctx, asked, vcardTempAsks } = server(() => v4('x'), () => stanzaError('undefined-condition'));
  const profiles = new Profiles(ctx, { maxEntries: 3 });
  for (const u of ['a', 'b', 'c', 'd']) await profiles.get(`${u}@example.org`);
  await profiles.get('d@example.org');
  await profiles.get('b@example.org');
  assert.equal(asked.length, 4, 'b, c, d still cached');
  await profiles.get('a@example.org');
  assert.equal(asked.length, 5, 'a was evicted first');
});
