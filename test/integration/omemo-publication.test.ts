/**
 * How the account's OMEMO keys get published, per server of the matrix: world-readable where the server allows it,
 * and where it does not (an ejabberd whose operator forces PEP nodes to presence access), the keys are published
 * anyway and the tabs are told precisely why contacts outside the roster cannot start encrypted chats.
 */
import 'fake-indexeddb/auto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestStack, HttpBrowser, type TestTab } from '../harness/parley.js';
import { serverLabel, testServers } from '../harness/xmpp-server.js';
import { XmppPeer } from '../harness/xmpp-peer.js';
import { OmemoService, type CommandFn } from '../../client/omemo/service.js';
import { MemoryLocks, MemoryStorage } from '../../client/omemo/pool.js';
import { buildItemsGet, parseItems } from '../../server/stanza/pubsub.js';
import { DEVICELIST_NODE, parseDeviceList } from '../../server/stanza/omemo.js';

const stacks: TestStack[] = [];
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
  for (const s of stacks) await s.close();
});

async function aliceWithDevice(stack: TestStack, name: string): Promise<{ jid: string; tab: TestTab; svc: OmemoService }> {
  const alice = await stack.newUser('alice');
  const browser = new HttpBrowser(stack.url);
  assert.equal((await browser.login(alice.jid, alice.password)).status, 303);
  const tab = browser.tab();
  cleanups.push(() => tab.close());
  await tab.waitFor('hello');
  const command: CommandFn = (n, p) => tab.command(n, p);
  const svc = await OmemoService.start({ account: alice.jid, command, locks: new MemoryLocks(), storage: new MemoryStorage(), dbName: `omemo-publication-${name}-${process.pid}` });
  cleanups.push(() => svc.close());
  return { jid: alice.jid, tab, svc };
}

/** A stranger (no subscription) reads Alice's device list: works only if the node is open. */
async function strangerReadsDevices(stack: TestStack, jid: string): Promise<number[] | string> {
  const u = await stack.newUser('stranger');
  const peer = await XmppPeer.login(stack.server, u.jid, u.password);
  try {
    return parseDeviceList(parseItems(await peer.conn.iq(buildItemsGet(jid, DEVICELIST_NODE))).at(-1)?.payload);
  } catch (err) {
    return (err as { condition?: string }).condition ?? String(err);
  } finally {
    await peer.stop();
  }
}

for (const kind of testServers()) {
  describe(serverLabel(kind), () => {
    test('the keys are published world-readable: a stranger sees the device list, the status says open', async () => {
      const stack = await TestStack.start({ server: kind });
      stacks.push(stack);
      const alice = await aliceWithDevice(stack, kind);
      assert.deepEqual(await alice.tab.command('omemoPublication', {}), { open: true, problem: null });
      assert.deepEqual(await strangerReadsDevices(stack, alice.jid), [alice.svc.deviceId]);
    });
  });
}

if (testServers().includes('ejabberd')) {
  describe('ejabberd 23.01 forcing presence access on OMEMO nodes', () => {
    test('the keys are still published (contacts can encrypt) and the tabs are told why strangers cannot', async () => {
      const stack = await TestStack.start({ server: 'ejabberd', prosody: { forceOmemoAccessModel: 'presence' } });
      stacks.push(stack);
      const alice = await aliceWithDevice(stack, 'forced');
      assert.ok(alice.svc.deviceId > 0, 'the tab has its device');
      const status = await alice.tab.command('omemoPublication', {});
      assert.equal(status.open, false);
      assert.match(status.problem!, /^Your server does not let this device's keys be public: contacts who are not in your roster cannot start encrypted chats/);
      assert.match(status.problem!, /keeps its own setting/);
      assert.deepEqual(await alice.tab.waitFor('omemoPublication'), status, 'the tabs were told when it happened');
      // XEP-0060 §6.5.9: not-authorized + presence-subscription-required (ejabberd says exactly that).
      assert.match(String(await strangerReadsDevices(stack, alice.jid)), /^(not-authorized|forbidden)$/, 'not world-readable indeed');
      // Alice herself (her other clients) still sees the list: encryption keeps working between contacts.
      assert.deepEqual((await alice.tab.command('omemoDevices', { jid: alice.jid, fresh: true })).devices, [alice.svc.deviceId]);
    });
  });
}
