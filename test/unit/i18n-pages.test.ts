/** The server-rendered views in every language: <html lang>, no catalog key left showing, markup around arguments escaped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { LOCALE_TAGS } from '../../client/i18n/locales.js';
import { en } from '../../client/i18n/catalog/en.js';
import { pageLocals } from '../../server/http/locale.js';

const views = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');
const hostile = '<img src=x onerror=alert(1)>.example';

const pages: Record<string, Record<string, unknown>> = {
  login: { title: 'T', error: 'E', jid: '', csrfToken: 'c', defaultDomain: hostile, registration: true },
  register: { title: 'T', error: null, errors: { confirm: 'C' }, jid: 'x', csrfToken: 'c', defaultDomain: hostile, domains: null, passwordMin: 8 },
  error: { title: 'T', message: 'M' },
  account: {
    title: 'T', jid: hostile, csrfToken: 'c', error: 'E', errorForm: 'password', notice: 'N', maxPassword: 1024, tabDevice: 7,
    browsers: [{ id: 'a'.repeat(64), createdAt: '2026-03-03T14:05:00Z', agent: hostile, isThis: false }, { id: 'b'.repeat(64), createdAt: '2026-03-03T14:05:00Z', agent: null, isThis: true }],
    devices: [7, 12345],
  },
  admin: {
    title: 'T', admin: hostile, csrfToken: 'c', notice: 'N', settingError: 'S',
    sessions: [{ jid: 'a@b', tabs: 2, since: '2026-03-03T14:05:00Z', state: 'online' }],
    cluster: { nodeId: hostile, redisOk: false, leaseTtlMs: 6000, nodes: [{ node: 'n1' }, { node: 'n2' }], liveLeases: 3 },
    doctor: [{ ok: true, name: 'n', detail: 'd' }, { ok: false, name: 'n2', detail: 'd2', fix: 'f' }],
    doctorAt: '2026-03-03T14:05:00Z', admins: [{ jid: 'a@b', source: 'env' }],
    settings: [{ name: 'PARLEY_X', value: '1' }], runtimeSettings: [{ name: 'PARLEY_Y', value: '2', effect: 'e' }],
  },
};

const keys = Object.keys(en);

for (const locale of LOCALE_TAGS) {
  test(`${locale}: every page renders in ${locale}, with no key showing and hostile values escaped`, async () => {
    for (const [view, data] of Object.entries(pages)) {
      const html = await ejs.renderFile(path.join(views, `${view}.ejs`), { ...pageLocals(locale), ...data });
      assert.match(html, new RegExp(`<html lang="${locale}" dir="ltr">`), view);
      const shown = keys.filter((key) => html.includes(`>${key}<`) || html.includes(`"${key}"`));
      assert.deepEqual(shown, [], `${view} shows catalog keys`);
      assert.ok(!html.includes('<img src=x'), `${view} lets markup through`);
    }
  });
}

test('English pages read as before the catalogs', async () => {
  const html = await ejs.renderFile(path.join(views, 'login.ejs'), { ...pageLocals('en'), ...pages.login, defaultDomain: 'example.org' });
  assert.match(html, /<label for="login-jid">User name or address<\/label>/);
  assert.match(html, /Just your name is enough for accounts on <strong>example\.org<\/strong>\./);
  assert.match(html, /No account yet\? <a href="\/register" data-testid="login-register-link">Create one<\/a>/);
  const admin = await ejs.renderFile(path.join(views, 'admin.ejs'), { ...pageLocals('en'), ...pages.admin });
  assert.match(admin, /Promote or demote with <code>npm run admin -- promote user@example\.org<\/code> \/ <code>demote<\/code>\./);
  assert.match(admin, /<h2 id="sessions-title">Live sessions \(1\)<\/h2>/);
  assert.match(admin, /data-testid="admin-cluster-nodes">2 nodes alive · 3 live sessions/);
  assert.match(admin, /data-testid="admin-cluster-redis">Redis: unreachable\./);
  assert.match(admin, /<time datetime="2026-03-03T14:05:00Z">Mar [34], 2026, \d+:\d\d:00\s[AP]M [^<]+<\/time>/); // in the server's zone, named
});
