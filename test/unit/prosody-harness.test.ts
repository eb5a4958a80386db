/** The Prosody harness names the Debian package to install when Prosody's console says a module did not load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prosodyModuleProblem } from '../harness/prosody.js';

test('a missing LuaDBI driver names lua-dbi-sqlite3', () => {
  const out = `modulemanager       error	Unable to load module 'storage_sql': /usr/lib/prosody/modules/mod_storage_sql.lua:10: module 'DBI' not found:\n\tno field package.preload['DBI']`;
  assert.match(prosodyModuleProblem(out)!, /install the Debian package lua-dbi-sqlite3/);
});

test('a missing community module names prosody-modules; a core module that fails is named as such', () => {
  const community = `modulemanager       error	Unable to load module 'no_such_community_module': /usr/lib/prosody/modules/share/lua/5.4/mod_no_such_community_module/mod_no_such_community_module.lua: No such file or directory`;
  assert.match(prosodyModuleProblem(community)!, /'no_such_community_module', a community module: install the Debian package prosody-modules/);
  const core = `modulemanager       error	Unable to load module 'mam': boom`;
  assert.match(prosodyModuleProblem(core)!, /could not load its module 'mam': .*boom/);
});

test('an ordinary start-up is no problem', () => {
  assert.equal(prosodyModuleProblem('certmanager         error	Error indexing certificate directory ./certs\nmod_posix           warn	Received SIGTERM'), null);
});
