/**
 * The doctor against a real stack: everything passes on a healthy set-up (also as the `npm run doctor` process,
 * exit code 0), and each broken part is named with its fix (exit code 1). /readyz turns 503 when the database goes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { TestStack } from '../harness/parley.js';
import { freePort } from '../harness/ports.js';
import { ROOT_DIR } from '../../server/app/parley.js';
import { loadConfig } from '../../server/app/config.js';
import { runDoctor } from '../../server/ops/doctor.js';
import { formatResults } from '../../server/ops/check.js';

let stack: TestStack;
let env: Record<string, string>;

before(async () => {
  stack = await TestStack.start({ env: { PARLEY_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parley-doctor-')) } });
  const port = new URL(stack.url).port;
  env = {
    NODE_ENV: 'test',
    PARLEY_HOST: '127.0.0.1',
    PORT: port,
    DATABASE_URL: stack.databaseUrl,
    PARLEY_DATA_DIR: stack.parley.config.dataDir,
    PARLEY_SESSION_SECRET: 'test-secret-test-secret-test-secret-0123',
    PARLEY_XMPP_DOMAINS: stack.prosody.domain,
    PARLEY_XMPP_SERVICES: `${stack.prosody.domain}=xmpp://127.0.0.1:${stack.prosody.c2sPort}`,
    PARLEY_XMPP_REQUIRE_TLS: 'false',
  };
});

after(async () => {
  await stack?.close();
});

/** `npm run doctor` as a process, with only our variables (and PATH). */
function doctorProcess(vars: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'server/cli/doctor.ts'], { cwd: ROOT_DIR, env: { PATH: process.env.PATH ?? '', ...vars }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr });
    });
  });
}

test('a healthy set-up: every check passes, in-process and as `npm run doctor` (exit 0)', async () => {
  const results = await runDoctor({ config: loadConfig(env) });
  assert.deepEqual(results.filter((r) => !r.ok), [], formatResults(results));
  assert.deepEqual(results.map((r) => r.name), ['configuration', 'database', 'migrations', 'clock: database', 'public URL', 'websocket', 'clock: public URL', 'xmpp localhost']);

  const cli = await doctorProcess(env);
  console.log(`--- npm run doctor, healthy (exit ${cli.code}) ---\n${cli.out}`);
  assert.equal(cli.code, 0, cli.out);
  assert.match(cli.out, /^All 8 checks passed\.$/m);
});

test('a broken set-up: a missing migration, a wrong public URL, an unreachable XMPP server and a bad variable are each named (exit 1)', async () => {
  const admin = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
  const { rows } = await admin.query(`DELETE FROM "_prisma_migrations" WHERE migration_name LIKE '%_admins' RETURNING *`);
  assert.equal(rows.length, 1);
  try {
    const broken = {
      ...env,
      PARLEY_PUBLIC_URL: `http://127.0.0.1:${await freePort()}`,
      PARLEY_XMPP_SERVICES: `${stack.prosody.domain}=xmpp://127.0.0.1:${await freePort()}`,
    };
    const cli = await doctorProcess(broken);
    console.log(`--- npm run doctor, broken (exit ${cli.code}) ---\n${cli.out}`);
    assert.equal(cli.code, 1);
    assert.match(cli.out, /^FAIL +migrations +1 of \d+ not applied: \d+_admins$/m);
    assert.match(cli.out, /fix: start Parley once/);
    assert.match(cli.out, /^FAIL +public URL +GET http:\/\/127\.0\.0\.1:\d+\/healthz: ECONNREFUSED/m);
    assert.match(cli.out, /^FAIL +websocket /m);
    assert.match(cli.out, /^FAIL +xmpp localhost +127\.0\.0\.1:\d+: ECONNREFUSED \(PARLEY_XMPP_SERVICES\)$/m);
    assert.match(cli.out, /^OK +database /m);

    const badConfig = await doctorProcess({ ...env, PORT: 'eighty', PARLEY_METRICS_TOKEN: 'short' });
    console.log(`--- npm run doctor, bad variables (exit ${badConfig.code}) ---\n${badConfig.out}`);
    assert.equal(badConfig.code, 1);
    assert.match(badConfig.out, /^FAIL +configuration +PORT="eighty": /m);
    assert.match(badConfig.out, /^FAIL +configuration +PARLEY_METRICS_TOKEN=.*at least 16 characters/m);

    const noDb = await runDoctor({ config: loadConfig({ ...env, DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/nothing` }) });
    const db = noDb.find((r) => r.name === 'database')!;
    assert.equal(db.ok, false);
    assert.match(db.fix!, /is PostgreSQL running/);
  } finally {
    await admin.end();
  }
});

test('/readyz: 200, then 503 with the reason once the database is gone', async () => {
  assert.equal((await fetch(`${stack.url}/readyz`)).status, 200);
  await stack.parley.db.close();
  const res = await fetch(`${stack.url}/readyz`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as { ok: boolean; reason: string };
  assert.equal(body.ok, false);
  assert.match(body.reason, /^database /);
  assert.equal((await fetch(`${stack.url}/healthz`)).status, 200, 'still alive, just not ready');
});
