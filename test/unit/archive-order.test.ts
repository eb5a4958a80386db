/** The floor rule of the archive catch-up (archiveOrder): whole-second archive stamps never sort before what came first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archiveOrder } from '../../server/features/archive.js';
import type { NewMessage } from '../../server/store/messages.js';

const at = (iso: string) => new Date(`2024-01-01T12:00:${iso}Z`);
const msg = (stamp: Date) => ({ stamp }) as NewMessage;

test('new results with stamps before the floor are lifted to it; later ones move it forward', () => {
  const order = archiveOrder(at('10.500'));
  assert.equal(order.stamp(msg(at('10.000')), null).getTime(), at('10.500').getTime());
  assert.equal(order.floor()!.getTime(), at('10.500').getTime());
  assert.equal(order.stamp(msg(at('11.000')), null).getTime(), at('11.000').getTime());
  assert.equal(order.floor()!.getTime(), at('11.000').getTime());
  assert.equal(order.stamp(msg(at('10.000')), null).getTime(), at('11.000').getTime());
});

test("a duplicate moves the floor to the stored row's stamp, so the next result of that second stays after it", () => {
  const order = archiveOrder(at('10.000'));
  // Stored live as 12:00:11.733; the archive says 12:00:11.
  order.stamp(msg(at('11.000')), at('11.733'));
  assert.equal(order.floor()!.getTime(), at('11.733').getTime());
  assert.equal(order.stamp(msg(at('11.000')), null).getTime(), at('11.733').getTime());
  // A duplicate stored earlier than the floor leaves it where it is.
  order.stamp(msg(at('12.000')), at('09.000'));
  assert.equal(order.floor()!.getTime(), at('11.733').getTime());
});

test('without a floor (first login, older pages) stamps stay as the archive gives them', () => {
  const order = archiveOrder(null);
  assert.equal(order.stamp(msg(at('11.000')), null).getTime(), at('11.000').getTime());
  assert.equal(order.stamp(msg(at('10.000')), at('11.733')).getTime(), at('10.000').getTime());
  assert.equal(order.floor(), null);
});
