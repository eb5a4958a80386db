import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionContext } from '../../server/features/context.js';
import type { MessageRow } from '../../server/store/messages.js';
import { ReadMarks, MARKER_QUIET_MS } from '../../server/features/read-marks.js';

const PEER = 'bob@example.org';
const row = (id: number): MessageRow => ({
  id: String(id), accountId: '1', peer: PEER, direction: 'in', fromJid: `${PEER}/x`, toJid: 'me@example.org', type: 'chat', body: 'b', encrypted: null,
  messageId: `m${id}`, originId: `o${id}`, stanzaId: null, attachmentUrl: null, attachmentName: null, attachmentSize: null, attachmentType: null,
  stamp: new Date(1_000_000 + id), claimedStamp: null, state: 'received', createdAt: new Date(),
  replyToId: null, replyToJid: null, replyFallbackStart: null, replyFallbackEnd: null,
  nick: null, senderJid: null, occupantId: null, mentionsMe: false, moderatedAt: null, moderatedBy: null, moderationReason: null, originSender: '',
});

/** A session whose store records each update (and lets the test finish them) and whose connection records stanzas. */
function fakeSession() {
  const updates: { upTo: string; finish: () => void }[] = [];
  const sent: string[] = [];
  const reads: string[] = [];
  let markedUpTo = 0;
  const ctx = {
    accountId: '1',
    jid: 'me@example.org',
    conn: { send: async (el: { toString(): string }) => void sent.push(el.toString()) },
    stores: {
      messages: {
        markDisplayedUpTo: (_a: string, _p: string, _s: Date, id: string) =>
          new Promise<number>((resolve) =>
            updates.push({
              upTo: id,
              finish: () => {
                const changed = Math.max(0, Number(id) - markedUpTo);
                markedUpTo = Math.max(markedUpTo, Number(id));
                resolve(changed);
              },
            }),
          ),
      },
    },
    emit: (_e: string, p: { upTo: string }) => void reads.push(p.upTo),
    log: { warn() {}, info() {}, error() {} },
  } as unknown as SessionContext;
  return { ctx, updates, sent, reads };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('marks of one conversation are coalesced: one update in flight, the newest wins, repeats are free', async () => {
  const { ctx, updates, reads } = fakeSession();
  const marks = new ReadMarks(ctx);
  const first = marks.mark(PEER, row(10), true);
  const rest = [11, 15, 12, 20, 13].map((id) => marks.mark(PEER, row(id), true));
  await settle();
  assert.deepEqual(updates.map((u) => u.upTo), ['10'], 'one update in flight');
  updates[0]!.finish();
  await first;
  await settle();
  assert.deepEqual(updates.map((u) => u.upTo), ['10', '20'], 'the waiting ones collapse into the newest');
  updates[1]!.finish();
  await Promise.all(rest);
  await marks.mark(PEER, row(18), true); // already covered: no database round trip
  assert.equal(updates.length, 2);
  assert.deepEqual(reads, ['10', '20']);
});

test('the peer gets one displayed marker, for the newest message, once marking is quiet', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { ctx, updates, sent } = fakeSession();
  const marks = new ReadMarks(ctx);
  for (const id of [1, 2, 3]) {
    const done = marks.mark(PEER, row(id), true);
    await settle();
    updates.at(-1)!.finish();
    await done;
    t.mock.timers.tick(MARKER_QUIET_MS - 1);
  }
  assert.deepEqual(sent, [], 'not while marks keep coming');
  t.mock.timers.tick(1);
  assert.equal(sent.length, 1);
  assert.match(sent[0]!, /<displayed xmlns="urn:xmpp:chat-markers:0" id="o3"\/>/);
  // Marked again up to the same message (another tab): nothing more to the peer.
  await marks.mark(PEER, row(3), true);
  t.mock.timers.tick(MARKER_QUIET_MS * 2);
  assert.equal(sent.length, 1);
});

test('no displayed marker into a room: read there, nothing is sent (it would reach every occupant)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { ctx, updates, sent, reads } = fakeSession();
  const marks = new ReadMarks(ctx);
  const roomRow = { ...row(5), peer: 'coven@chat.example.org', type: 'groupchat', fromJid: 'coven@chat.example.org/firstwitch' };
  const done = marks.mark(roomRow.peer, roomRow, true);
  await settle();
  updates.at(-1)!.finish();
  await done;
  t.mock.timers.tick(60_000);
  assert.deepEqual(reads, ['5'], 'marked read all the same');
  assert.deepEqual(sent, []);
});
