/** NotifyCoordinator with fakes: one leader (the lock), no notification while any tab is visible, each message once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotifyCoordinator, STALE_MS, type NotifyChannel, type NotifyWire } from '../../client/notify/coordinator.js';

/** A BroadcastChannel between fake tabs: a message reaches every other tab, at once. */
class Bus {
  private readonly listeners: { owner: number; fn: (m: NotifyWire) => void }[] = [];
  private next = 0;
  channel(): NotifyChannel {
    const owner = this.next++;
    return {
      post: (m) => this.listeners.filter((l) => l.owner !== owner).forEach((l) => l.fn(structuredClone(m))),
      onMessage: (fn) => this.listeners.push({ owner, fn }),
    };
  }
}

/** A Web Lock: the first requester holds it; the next in the queue gets it when the holder releases. */
class Lock {
  private queue: (() => void)[] = [];
  private holder: (() => void) | null = null;
  request = (onLeader: () => void): void => {
    if (this.holder) this.queue.push(onLeader);
    else {
      this.holder = onLeader;
      onLeader();
    }
  };
  release(): void {
    this.holder = this.queue.shift() ?? null;
    this.holder?.();
  }
}

function tabs(n: number, opts: { muted?: string[]; enabled?: boolean } = {}) {
  const bus = new Bus();
  const lock = new Lock();
  let clock = 1_000_000;
  const shown: { tab: number; title: string; body: string }[] = [];
  const list = Array.from({ length: n }, (_, i) => {
    const tab = { visible: false, c: null as unknown as NotifyCoordinator };
    tab.c = new NotifyCoordinator({
      tab: `tab${i}`,
      channel: bus.channel(),
      lock: lock.request,
      visible: () => tab.visible,
      enabled: () => opts.enabled ?? true,
      muted: (peer) => (opts.muted ?? []).includes(peer),
      show: (s) => shown.push({ tab: i, title: s.title, body: s.body }),
      now: () => clock,
    });
    tab.c.start();
    return tab;
  });
  const setVisible = (i: number, v: boolean) => {
    list[i]!.visible = v;
    list[i]!.c.announce();
  };
  const offerAll = (id: string, peer = 'bob@example.org') =>
    Promise.all(list.map((t) => t.c.offer({ id, peer, title: 'Bob', body: async () => `text ${id}` })));
  return { list, lock, shown, setVisible, offerAll, advance: (ms: number) => (clock += ms) };
}

test('three hidden tabs: exactly one notification per message, by the leader; the same message again shows nothing', async () => {
  const { list, shown, offerAll } = tabs(3);
  assert.deepEqual(list.map((t) => t.c.isLeader), [true, false, false]);
  await offerAll('1');
  await offerAll('2');
  await offerAll('1');
  assert.deepEqual(shown, [{ tab: 0, title: 'Bob', body: 'text 1' }, { tab: 0, title: 'Bob', body: 'text 2' }]);
});

test('any visible tab of the browser means no notification; hidden again means notifications again', async () => {
  const { shown, setVisible, offerAll } = tabs(3);
  setVisible(2, true);
  await offerAll('1');
  assert.deepEqual(shown, []);
  setVisible(2, false);
  await offerAll('2');
  assert.equal(shown.length, 1);
  setVisible(0, true);
  await offerAll('3');
  assert.equal(shown.length, 1, 'the leader itself visible');
});

test('the leader goes away: the next tab takes over and learns who is visible by asking', async () => {
  const { list, lock, shown, setVisible, offerAll } = tabs(3);
  setVisible(2, true);
  list[0]!.c.leave();
  lock.release();
  assert.equal(list[1]!.c.isLeader, true);
  await Promise.all([list[1]!.c.offer({ id: '9', peer: 'p@x.y', title: 'P', body: async () => 'x' })]);
  assert.equal(shown.length, 0, 'tab 2 answered the new leader: it is visible');
  setVisible(2, false);
  // Tab 0 is gone: only the two left get the message.
  await Promise.all(list.slice(1).map((t) => t.c.offer({ id: '10', peer: 'p@x.y', title: 'P', body: async () => 'x' })));
  assert.deepEqual(shown.map((s) => s.tab), [1]);
});

test('a tab that fell silent (crashed, no bye) stops counting as visible', async () => {
  const { shown, setVisible, offerAll, advance } = tabs(2);
  setVisible(1, true);
  await offerAll('1');
  assert.equal(shown.length, 0);
  advance(STALE_MS + 1);
  await offerAll('2');
  assert.equal(shown.length, 1);
});

test('muted conversations and notifications turned off show nothing', async () => {
  const muted = tabs(2, { muted: ['bob@example.org'] });
  await muted.offerAll('1');
  await muted.offerAll('2', 'carol@example.org');
  assert.deepEqual(muted.shown.map((s) => s.body), ['text 2']);
  const off = tabs(2, { enabled: false });
  await off.offerAll('1');
  assert.deepEqual(off.shown, []);
});

test('a tab becoming visible while the text is decrypted: nothing shown', async () => {
  const { list, shown, setVisible } = tabs(2);
  await list[0]!.c.offer({ id: '1', peer: 'b@x.y', title: 'B', body: async () => {
    setVisible(1, true);
    return 'secret';
  } });
  assert.deepEqual(shown, []);
});
