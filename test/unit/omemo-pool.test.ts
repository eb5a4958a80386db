/** Which device a tab gets: reload, second tab, closed tab, duplicated tab. Web Locks are faked in memory (Node has none). */
import 'fake-indexeddb/auto';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { OmemoStore } from '../../client/omemo/store.js';
import { chooseDevice, lockName, MemoryLocks, MemoryStorage, tryLock, type PoolChoice } from '../../client/omemo/pool.js';

const ALICE = 'alice@example.org';
let n = 0;
const stores: OmemoStore[] = [];
const held: PoolChoice[] = [];
after(() => {
  held.forEach((c) => c.release());
  stores.forEach((s) => s.close());
});

/** One browser profile: one IndexedDB, one lock manager; tabs differ by their sessionStorage. */
async function browser() {
  const store = await OmemoStore.open(`omemo-pool-${process.pid}-${n++}`);
  stores.push(store);
  const locks = new MemoryLocks();
  const open = async (storage = new MemoryStorage(), excluded?: (id: number) => boolean) => {
    const choice = await chooseDevice({ store, account: ALICE, locks, storage, excluded, preKeyCount: 3 });
    held.push(choice);
    return { choice, storage };
  };
  return { store, locks, open };
}

test('first tab creates a device and holds its lock; a reload keeps the same device', async () => {
  const b = await browser();
  const tab = await b.open();
  assert.equal(tab.choice.origin, 'new');
  assert.equal(tab.choice.isNew, true);
  assert.ok(b.locks.isHeld(lockName(ALICE, tab.choice.device.deviceId)));
  // Reload: the page goes away (lock released), sessionStorage stays.
  tab.choice.release();
  const again = await b.open(tab.storage);
  assert.equal(again.choice.origin, 'previous');
  assert.equal(again.choice.isNew, false);
  assert.equal(again.choice.device.deviceId, tab.choice.device.deviceId);
  assert.deepEqual(await b.store.listDevices(ALICE), [tab.choice.device.deviceId]);
});

test('a second tab gets a new device; a closed tab frees its device for the next tab; devices = max tabs open at once', async () => {
  const b = await browser();
  const t1 = await b.open();
  const t2 = await b.open();
  assert.notEqual(t1.choice.device.deviceId, t2.choice.device.deviceId);
  assert.equal(t2.choice.origin, 'new');
  t1.choice.release(); // tab 1 closed
  const t3 = await b.open();
  assert.equal(t3.choice.origin, 'idle');
  assert.equal(t3.choice.device.deviceId, t1.choice.device.deviceId);
  assert.equal((await b.store.listDevices(ALICE)).length, 2);
  const t4 = await b.open();
  assert.equal(t4.choice.origin, 'new');
  assert.equal((await b.store.listDevices(ALICE)).length, 3);
});

test('"Duplicate tab" copies sessionStorage but the lock makes the copy fall through to another device', async () => {
  const b = await browser();
  const t1 = await b.open();
  const idle = await b.open();
  idle.choice.release();
  const dup = await b.open(t1.storage.clone());
  assert.notEqual(dup.choice.device.deviceId, t1.choice.device.deviceId);
  assert.equal(dup.choice.origin, 'idle');
  assert.equal(dup.choice.device.deviceId, idle.choice.device.deviceId);
  // The duplicate now remembers its own device, the original keeps its own.
  assert.equal(dup.storage.getItem(`parley-omemo-device:${ALICE}`), String(idle.choice.device.deviceId));
  assert.equal(t1.storage.getItem(`parley-omemo-device:${ALICE}`), String(t1.choice.device.deviceId));
});

test('two tabs starting at the same moment never share a device', async () => {
  const b = await browser();
  const first = await b.open();
  first.choice.release();
  const [x, y] = await Promise.all([b.open(), b.open()]);
  assert.notEqual(x.choice.device.deviceId, y.choice.device.deviceId);
  assert.ok([x, y].some((t) => t.choice.device.deviceId === first.choice.device.deviceId));
});

test('excluded (revoked) devices are never adopted, even by the tab that used them', async () => {
  const b = await browser();
  const t1 = await b.open();
  t1.choice.release();
  const revoked = t1.choice.device.deviceId;
  const again = await b.open(t1.storage, (id) => id === revoked);
  assert.notEqual(again.choice.device.deviceId, revoked);
  assert.equal(again.choice.origin, 'new');
});

test('tryLock: ifAvailable returns null while held and the lock is free again after release', async () => {
  const locks = new MemoryLocks();
  const r1 = await tryLock(locks, 'x');
  assert.ok(r1);
  assert.equal(await tryLock(locks, 'x'), null);
  r1();
  await new Promise((r) => setImmediate(r));
  const r2 = await tryLock(locks, 'x');
  assert.ok(r2);
  r2();
});
