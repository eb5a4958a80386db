/**
 * History handover: the message format (packing, strict parsing, per-entry checks) and the whole exchange between two
 * browsers of one account (separate IndexedDB databases and locks), with a libsignal-client device as the contact.
 * The server is a small in-memory stand-in for device lists, bundles, history pages and the tab-to-tab relay (unit test
 * only; the real server and Chromium are in test/e2e/omemo-handover.test.ts).
 */
import 'fake-indexeddb/auto';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OmemoService, DISPLAY_MESSAGES, type CommandFn } from '../../client/omemo/service.js';
import { Handover, type HandoverEvent } from '../../client/omemo/handover.js';
import { HANDOVER_LIMITS, checkEntries, packEntries, parseHandoverMessage } from '../../client/omemo/handover-format.js';
import { MemoryLocks, MemoryStorage } from '../../client/omemo/pool.js';
import { parseBundle, parseXml } from '../../client/omemo/codec.js';
import { ReferenceDevice } from '../harness/omemo-reference.js';
import type { MessageDTO, OmemoRelayDTO } from '../../server/realtime/contract.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';

// --- format -----------------------------------------------------------------------------------------------------

test('packEntries: chunks stay under the byte bound, one conversation each; too long and too many are left out, said why', () => {
  const long = 'x'.repeat(HANDOVER_LIMITS.entryBytes + 1);
  const entries = Array.from({ length: 40 }, (_, i) => ({ id: String(100 - i), text: `é${'y'.repeat(300)} ${i}` }));
  const r = packEntries(
    [{ peer: BOB, entries: [...entries.slice(0, 20), { id: '5', text: long }, ...entries.slice(20)] }, { peer: 'carol@example.org', entries: [{ id: '7', text: 'hi' }] }],
    { entryBytes: HANDOVER_LIMITS.entryBytes, chunkBytes: 2_000, entries: 35, chunks: 400 },
  );
  assert.deepEqual(r.left.map((l) => [l.id, l.reason]), [
    ['5', 'too long to hand over'],
    ...entries.slice(35).map((e) => [e.id, 'more than 35 messages in one handover']),
    ['7', 'more than 35 messages in one handover'],
  ]);
  assert.deepEqual(r.conversations, [{ peer: BOB, count: 35 }]);
  assert.deepEqual(r.chunks.flatMap((c) => c.entries.map((e) => e.id)), entries.slice(0, 35).map((e) => e.id), 'newest first, in order');
  assert.ok(r.chunks.length > 1);
  for (const c of r.chunks) {
    const json = JSON.stringify({ v: 1, type: 'chunk', handover: randomUUID(), from: 2 ** 31 - 1, to: 2 ** 31 - 1, seq: 399, peer: c.peer, entries: c.entries });
    assert.ok(new TextEncoder().encode(json).byteLength <= 2_000, `chunk of ${json.length} bytes`);
  }
});

test('packEntries: at most `chunks` parts; what does not fit is left out, and the counts say what was packed', () => {
  const entries = Array.from({ length: 10 }, (_, i) => ({ id: String(i + 1), text: 'z'.repeat(900) }));
  const r = packEntries([{ peer: BOB, entries }], { entryBytes: 1_000, chunkBytes: 2_000, entries: 100, chunks: 3 });
  assert.equal(r.chunks.length, 3);
  const packed = r.chunks.flatMap((c) => c.entries.map((e) => e.id));
  assert.deepEqual(r.conversations, [{ peer: BOB, count: packed.length }]);
  assert.deepEqual(r.left.map((l) => l.id), entries.map((e) => e.id).filter((id) => !packed.includes(id)));
  assert.ok(r.left.every((l) => l.reason === 'more than 3 parts in one handover'));
});

test('parseHandoverMessage: strict shapes; anything else is an error with a reason', () => {
  const base = { v: 1, handover: randomUUID(), from: 11, to: 22 };
  const ok = (o: unknown) => parseHandoverMessage(JSON.stringify(o));
  assert.equal(ok({ ...base, type: 'offer', conversations: [{ peer: BOB, count: 3 }], chunks: 1 }).ok, true);
  assert.equal(ok({ ...base, type: 'chunk', seq: 0, peer: BOB, entries: [{ id: '1', text: 'a' }] }).ok, true);
  const cases: [unknown, RegExp][] = [
    ['{', /not JSON/],
    [[1], /not an object/],
    [{ ...base, v: 2, type: 'accept' }, /unsupported version/],
    [{ ...base, type: 'gimme' }, /unknown type/],
    [{ ...base, type: 'accept', html: '<b>x</b>' }, /unexpected field html/],
    [{ ...base, type: 'accept', handover: 'x' }, /invalid handover id/],
    [{ ...base, type: 'accept', from: 0 }, /invalid device id/],
    [{ ...base, type: 'offer', conversations: [{ peer: BOB, count: 3 }], chunks: 0 }, /invalid chunk count/],
    [{ ...base, type: 'offer', conversations: [{ peer: 'not a jid', count: 3 }], chunks: 1 }, /invalid conversation/],
    [{ ...base, type: 'chunk', seq: HANDOVER_LIMITS.chunks, peer: BOB, entries: [{}] }, /invalid chunk number/],
    [{ ...base, type: 'chunk', seq: 0, peer: BOB, entries: [] }, /needs entries/],
    [{ ...base, type: 'result', stored: -1, rejected: 0 }, /invalid counts/],
  ];
  for (const [input, error] of cases) {
    const r = parseHandoverMessage(typeof input === 'string' ? input : JSON.stringify(input));
    assert.equal(r.ok, false, JSON.stringify(input));
    assert.match((r as { error: string }).error, error);
  }
});

test('checkEntries: each entry on its own, against the rows of that conversation', () => {
  const row = (id: string, peer: string, encrypted: string | null): MessageDTO => ({
    id, peer, direction: 'in', from: peer, to: ALICE, body: null, encrypted, stamp: new Date().toISOString(), state: 'received', originId: null, stanzaId: null,
  });
  const rows = new Map([['1', row('1', BOB, '<encrypted/>')], ['2', row('2', BOB, null)], ['3', row('3', 'carol@example.org', '<encrypted/>')], ['4', row('4', BOB, '<encrypted/>')]]);
  const { accepted, rejected } = checkEntries(BOB, [
    { id: '1', text: 'fine <b>stays text</b>' },
    { id: '1', text: 'again' },
    { id: '2', text: 'plain row' },
    { id: '3', text: 'other conversation' },
    { id: '9', text: 'unknown' },
    { id: '4', text: 'x', html: '<img src=x onerror=alert(1)>' },
    { id: '4', text: 'bell\u0007' },
    { id: '4', text: 'y'.repeat(HANDOVER_LIMITS.entryBytes + 1) },
    { id: '4', text: 42 },
    { id: 'abc', text: 'bad id' },
    'nope',
  ], rows);
  assert.deepEqual(accepted.map((a) => [a.entry.id, a.entry.text]), [['1', 'fine <b>stays text</b>']]);
  assert.deepEqual(rejected, [
    { id: '1', error: 'listed twice' },
    { id: '2', error: 'not an encrypted message' },
    { id: '3', error: `no such message in the conversation with ${BOB}` },
    { id: '9', error: `no such message in the conversation with ${BOB}` },
    { id: '4', error: 'unexpected field html' },
    { id: '4', error: 'the text holds control characters' },
    { id: '4', error: 'text too long' },
    { id: '4', error: 'the text is not a string' },
    { id: '#10', error: 'invalid message id' },
    { id: '#11', error: 'not an entry' },
  ]);
});

// --- the exchange -----------------------------------------------------------------------------------------------

/** Device lists, bundles, one account's history and the relay, as the server keeps them for the commands. */
class FakeServer {
  readonly lists = new Map<string, number[]>();
  readonly bundles = new Map<string, string>();
  readonly rows: MessageDTO[] = [];
  readonly relayed: OmemoRelayDTO[] = [];
  private readonly tabs = new Set<Handover>();
  private nextId = 1;

  commandFor(account: string): CommandFn {
    return (async (name: string, p: Record<string, unknown>) => {
      switch (name) {
        case 'omemoAnnounce': {
          const id = p.deviceId as number;
          if (p.bundle) this.bundles.set(`${account}:${id}`, p.bundle as string);
          const list = this.lists.get(account) ?? [];
          if (!list.includes(id)) list.push(id);
          this.lists.set(account, list);
          return { devices: [...list] };
        }
        case 'omemoDevices':
          return { devices: [...(this.lists.get(p.jid as string) ?? [])] };
        case 'omemoBundle':
          return { bundle: this.bundles.get(`${p.jid}:${p.deviceId}`) ?? null };
        case 'history': {
          const before = p.before as { stamp: string; id: string } | undefined;
          const limit = p.limit as number;
          const key = (m: { stamp: string; id: string }) => [Date.parse(m.stamp), Number(m.id)] as const;
          const cmp = (a: { stamp: string; id: string }, b: { stamp: string; id: string }) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1];
          const all = this.rows.filter((m) => m.peer === p.peer && (!before || cmp(m, before) < 0)).sort(cmp);
          return { messages: all.slice(-limit), hasMore: all.length > limit };
        }
        case 'omemoRelay': {
          const e = { from: p.from as number, to: p.to as number | null, encrypted: p.encrypted as string | null };
          this.relayed.push(e);
          // As socket.io does: to the account's other tabs, after the command returned.
          setImmediate(() => this.tabs.forEach((t) => void t.handleRelay(e)));
          return {};
        }
        default:
          throw new Error(`unexpected command ${name}`);
      }
    }) as CommandFn;
  }

  attach(h: Handover): Handover {
    this.tabs.add(h);
    return h;
  }

  row(m: Partial<MessageDTO> & { direction: 'in' | 'out'; encrypted: string }, minutesAgo: number): MessageDTO {
    const row: MessageDTO = {
      id: String(this.nextId++), peer: BOB, from: m.direction === 'in' ? BOB : ALICE, to: m.direction === 'in' ? ALICE : BOB,
      body: 'I sent you an OMEMO encrypted message but your client doesn’t seem to support that.',
      stamp: new Date(Date.now() - minutesAgo * 60_000).toISOString(), state: 'received', originId: null, stanzaId: null, ...m,
    };
    this.rows.push(row);
    return row;
  }
}

let n = 0;
const closers: (() => void)[] = [];
after(() => closers.forEach((c) => c()));

/** A browser profile of Alice: its own IndexedDB and locks. */
async function browserTab(server: FakeServer) {
  const service = await OmemoService.start({
    account: ALICE, command: server.commandFor(ALICE), locks: new MemoryLocks(), storage: new MemoryStorage(), dbName: `handover-${process.pid}-${n++}`, preKeyCount: 5,
  });
  const handover = server.attach(await Handover.start({ service, command: server.commandFor(ALICE), channel: null }));
  closers.push(() => handover.close(), () => service.close());
  return { service, handover };
}

function next<K extends HandoverEvent['kind']>(h: Handover, kind: K, test: (e: Extract<HandoverEvent, { kind: K }>) => boolean = () => true): Promise<Extract<HandoverEvent, { kind: K }>> {
  return new Promise((resolve) => {
    const off = h.onEvent((e) => {
      if (e.kind === kind && test(e as Extract<HandoverEvent, { kind: K }>)) {
        off();
        resolve(e as Extract<HandoverEvent, { kind: K }>);
      }
    });
  });
}

/** Alice's first browser talks with Bob (libsignal) both ways, before her second browser exists. */
async function history(server: FakeServer) {
  const bob = ReferenceDevice.create(BOB, { preKeyCount: 5 });
  server.lists.set(BOB, [bob.deviceId]);
  server.bundles.set(`${BOB}:${bob.deviceId}`, bob.bundleElement().toString());
  const a = await browserTab(server);
  const toA = () => [{ jid: ALICE, deviceId: a.service.deviceId, bundle: parseBundle(parseXml(server.bundles.get(`${ALICE}:${a.service.deviceId}`)!), a.service.deviceId) }];
  const texts = ['hi Alice', 'from Alice’s browser', 'and a second one'];
  const r1 = server.row({ direction: 'in', encrypted: (await bob.encrypt(texts[0]!, toA())).toString() }, 30);
  const originId = randomUUID();
  const { encrypted } = await a.service.encryptFor(BOB, texts[1]!, { originId });
  const r2 = server.row({ direction: 'out', encrypted, originId }, 20);
  await a.service.bindSent(originId, r2.id);
  const r3 = server.row({ direction: 'in', encrypted: (await bob.encrypt(texts[2]!, toA())).toString() }, 10);
  // The first one was shown in that browser; the last is decrypted only when the handover reads it.
  assert.equal((await a.service.decryptMessage(r1)).status, 'ok');
  return { bob, a, rows: [r1, r2, r3], texts };
}

test('a new browser gets the history, both directions, once the user compared fingerprints on both sides', async () => {
  const server = new FakeServer();
  const { a, rows, texts } = await history(server);
  const newDevice = next(a.handover, 'new-device');
  const b = await browserTab(server);
  assert.equal(b.handover.isWaiting, true, "a browser set up after the account's other devices waits for history");
  for (const row of rows) {
    const shown = await b.service.decryptMessage(row);
    assert.equal(shown.status, 'not-for-this-device');
    assert.equal((shown as { message: string }).message, DISPLAY_MESSAGES['before-this-browser']);
  }

  // The old browser is offered to hand over, with the key it will encrypt to.
  const { offer } = await newDevice;
  assert.equal(offer.deviceId, b.service.deviceId);
  assert.equal(offer.fingerprint, b.service.ownFingerprint());
  const incoming = next(b.handover, 'incoming');
  const sending = a.handover.send(offer.deviceId, [BOB]);

  // The new browser sees both fingerprints before anything is stored.
  const { offer: got } = await incoming;
  assert.equal(got.fingerprint, a.service.ownFingerprint());
  assert.equal(got.ownFingerprint, b.service.ownFingerprint());
  assert.deepEqual(got.conversations, [{ peer: BOB, count: 3 }]);
  for (const row of rows) assert.equal(await b.service.plaintexts.get(row.id), undefined, 'nothing stored before accepting');

  const plaintexts = next(b.handover, 'plaintexts');
  const received = next(b.handover, 'received', (e) => e.done);
  await b.handover.accept(got.handover);
  const done = await received;
  assert.equal(done.stored, 3);
  assert.deepEqual(done.errors, []);
  assert.deepEqual((await plaintexts).ids.sort(), rows.map((r) => r.id).sort());
  assert.deepEqual(await sending, { sent: 3, stored: 3, rejected: 0, left: 0 });

  const shown = await Promise.all(rows.map((r) => b.service.decryptMessage(r)));
  assert.deepEqual(shown.map((s) => s.status === 'ok' && s.text), texts);
  assert.deepEqual(shown.map((s) => s.status === 'ok' && s.handedOverBy), rows.map(() => a.service.deviceId), 'each says which device vouches for it');
  // Alice's own message came from the device she just verified.
  assert.equal(shown[1]!.status === 'ok' && shown[1]!.trust, 'verified');
  assert.equal(b.handover.isWaiting, false);

  // Once per new device: the old browser does not offer again.
  const offers: number[] = [];
  a.handover.onEvent((e) => e.kind === 'new-device' && offers.push(e.offer.deviceId));
  await a.handover.handleRelay({ from: b.service.deviceId, to: null, encrypted: null });
  assert.deepEqual(offers, []);
  // From the Security panel the user may offer again on purpose; never to a tab of the same browser.
  assert.deepEqual(await a.handover.offerTo(b.service.deviceId), { ok: true });
  assert.deepEqual(offers, [b.service.deviceId]);
  assert.equal((await a.handover.offerTo(b.service.deviceId)).ok, false, 'not twice at once');
  const self = await b.handover.offerTo(b.service.deviceId);
  assert.equal(self.ok, false);
  assert.match((self as { reason: string }).reason, /a tab of this browser/);
  // The server relayed ciphertext and hellos only.
  for (const e of server.relayed) for (const t of texts) assert.equal(JSON.stringify(e).includes(t), false);
});

test('history from a device that was not accepted, or is marked compromised, is refused; bad entries are left out one by one', async () => {
  const server = new FakeServer();
  const { a, rows, texts } = await history(server);
  const b = await browserTab(server);
  const c = await browserTab(server); // a third browser of the account, never confirmed in b
  const bId = b.service.deviceId;
  const refusals: string[] = [];
  b.handover.onEvent((e) => e.kind === 'refused' && refusals.push(e.error));
  const relay = async (from: { service: OmemoService }, message: unknown) =>
    b.handover.handleRelay({ from: from.service.deviceId, to: bId, encrypted: await from.service.sealForOwnDevice(bId, JSON.stringify(message)) });
  const envelope = (from: { service: OmemoService }, handover = randomUUID()) => ({ v: 1, handover, from: from.service.deviceId, to: bId });

  // A chunk nobody offered: refused whole, nothing stored.
  await relay(c, { ...envelope(c), type: 'chunk', seq: 0, peer: BOB, entries: [{ id: rows[0]!.id, text: 'forged' }] });
  assert.match(refusals.at(-1)!, /no handover from it was accepted/);
  assert.equal(await b.service.plaintexts.get(rows[0]!.id), undefined);

  // A device marked compromised here cannot even offer.
  await b.service.setTrust(ALICE, c.service.deviceId, 'compromised');
  const offers: unknown[] = [];
  b.handover.onEvent((e) => e.kind === 'incoming' && offers.push(e));
  await relay(c, { ...envelope(c), type: 'offer', conversations: [{ peer: BOB, count: 1 }], chunks: 1 });
  assert.match(refusals.at(-1)!, /marked compromised/);
  assert.deepEqual(offers, []);

  // Malformed and misaddressed messages.
  await relay(a, 'not a handover');
  assert.match(refusals.at(-1)!, /malformed handover message from device \d+: not an object/);
  await b.handover.handleRelay({ from: a.service.deviceId, to: bId, encrypted: '<encrypted' });
  assert.match(refusals.at(-1)!, /Ignored a message from device \d+: damaged/);
  await relay(a, { ...envelope(a), to: c.service.deviceId, type: 'accept' });
  assert.match(refusals.at(-1)!, /addressed to another device/);

  // An accepted offer whose chunk mixes good and bad entries: the good one is stored, each bad one said why.
  const handover = randomUUID();
  const incoming = next(b.handover, 'incoming');
  await relay(a, { ...envelope(a, handover), type: 'offer', conversations: [{ peer: BOB, count: 6 }], chunks: 1 });
  await b.handover.accept((await incoming).offer.handover);
  const plain = server.row({ direction: 'in', encrypted: '', body: 'plain' }, 5);
  plain.encrypted = null;
  const received = next(b.handover, 'received', (e) => e.done);
  await relay(a, {
    ...envelope(a, handover), type: 'chunk', seq: 0, peer: BOB, entries: [
      { id: rows[2]!.id, text: texts[2] },
      { id: plain.id, text: 'was never encrypted' },
      { id: '999999', text: 'no such message' },
      { id: rows[0]!.id, text: '<img src=x onerror=alert(1)>', html: true },
    ],
  });
  const done = await received;
  assert.equal(done.stored, 1);
  assert.deepEqual(done.errors, [
    `Message ${plain.id}: not an encrypted message.`,
    `Message 999999: no such message in the conversation with ${BOB}.`,
    `Message ${rows[0]!.id}: unexpected field html.`,
  ]);
  assert.equal((await b.service.plaintexts.get(rows[2]!.id))?.text, texts[2]);
  assert.equal(await b.service.plaintexts.get(rows[0]!.id), undefined);

  // A second chunk of a finished handover is not taken.
  await relay(a, { ...envelope(a, handover), type: 'chunk', seq: 0, peer: BOB, entries: [{ id: rows[0]!.id, text: 'late' }] });
  assert.match(refusals.at(-1)!, /no handover from it was accepted/);
  assert.equal(await b.service.plaintexts.get(rows[0]!.id), undefined);
});
