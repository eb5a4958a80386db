import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLastResult, buildTimeResult, buildVersionResult } from '../../server/stanza/software.js';

test('software version, entity time and last activity answers, as literal XML', () => {
  assert.equal(buildVersionResult('Parley', '0.1.0').toString(), `<query xmlns="jabber:iq:version"><name>Parley</name><version>0.1.0</version></query>`);
  assert.equal(buildTimeResult(new Date('2026-12-02T14:05:06.789Z')).toString(), `<time xmlns="urn:xmpp:time"><tzo>+00:00</tzo><utc>2026-12-02T14:05:06Z</utc></time>`);
  assert.equal(buildLastResult(0).toString(), `<query xmlns="jabber:iq:last" seconds="0"/>`);
  assert.equal(buildLastResult(903.7).toString(), `<query xmlns="jabber:iq:last" seconds="903"/>`);
  assert.equal(buildLastResult(-5).toString(), `<query xmlns="jabber:iq:last" seconds="0"/>`);
});
