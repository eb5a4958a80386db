import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../server/app/config.js';
import { changeRuntimeSetting, listRuntimeSettings } from '../../server/ops/runtime-settings.js';

const config = () => loadConfig({ PARLEY_SESSION_SECRET: 'x'.repeat(32), PARLEY_DATA_DIR: '/tmp/parley-unit-unused' });

test('a change is validated by the variable\'s own rule and written into the live config in its units', () => {
  const c = config();
  const away = changeRuntimeSetting(c, 'PARLEY_AWAY_AFTER', ' 30 ');
  assert.ok(away.ok);
  assert.equal(away.previous, '10');
  assert.equal(c.timers.awayAfterMs, 30_000);
  const reg = changeRuntimeSetting(c, 'PARLEY_REGISTRATION', 'on');
  assert.ok(reg.ok && reg.setting.value === 'true');
  assert.equal(c.xmpp.registration, true);
  assert.equal(listRuntimeSettings(c).find((s) => s.name === 'PARLEY_AWAY_AFTER')?.value, '30');
});

test('bad values, empty values and settings that need a restart change nothing', () => {
  const c = config();
  for (const [name, value, error] of [
    ['PARLEY_MAX_SESSIONS', '0', /PARLEY_MAX_SESSIONS="0": /],
    ['PARLEY_MAX_SESSIONS', '1.5', /PARLEY_MAX_SESSIONS="1.5": /],
    ['PARLEY_REGISTRATION', 'maybe', /PARLEY_REGISTRATION="maybe": /],
    ['PARLEY_IDLE_LOGOUT', '', /needs a value/],
    ['PARLEY_SESSION_SECRET', 'y'.repeat(40), /cannot be changed while Parley runs/],
    ['__proto__', '1', /cannot be changed while Parley runs/],
  ] as const) {
    const r = changeRuntimeSetting(c, name, value);
    assert.ok(!r.ok && error.test(r.error), `${name}=${value}: ${JSON.stringify(r)}`);
  }
  assert.deepEqual(listRuntimeSettings(c), listRuntimeSettings(config()));
});
