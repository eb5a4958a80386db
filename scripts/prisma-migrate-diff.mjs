#!/usr/bin/env node
/**
 * Offline `prisma migrate dev --create-only`: writes prisma/migrations/<timestamp>_<name>/migration.sql with the
 * SQL that takes the existing migrations to prisma/schema.prisma. Uses Prisma's own schema engine compiled to
 * WebAssembly (@prisma/schema-engine-wasm, pinned to the engines version of prisma 7.10.0) because the native
 * engine binary cannot be downloaded here. The existing migrations are replayed on a shadow database, created
 * and dropped by @prisma/adapter-pg on the server named by SHADOW_ADMIN_URL
 * (default postgres://postgres@127.0.0.1:5432/postgres).
 *
 *   node scripts/prisma-migrate-diff.mjs --name add_things        write a new migration (nothing when no change)
 *   node scripts/prisma-migrate-diff.mjs --check                  exit 2 when the schema and the migrations differ
 */
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
// A dependency of @prisma/adapter-pg (same version), used as the Prisma CLI uses it.
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMA = path.join(ROOT, 'prisma/schema.prisma');
const MIGRATIONS = path.join(ROOT, 'prisma/migrations');

function args() {
  const out = { name: null, check: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--name') out.name = argv[++i] ?? null;
    else if (argv[i] === '--check') out.check = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!out.check && !out.name) throw new Error('usage: prisma-migrate-diff.mjs --name <name> | --check');
  if (out.name && !/^[a-z0-9_]+$/.test(out.name)) throw new Error('--name: lower-case letters, digits and _ only');
  return out;
}

/** Loads the wasm-bindgen module by hand: Node 20 cannot `import` a .wasm file without a flag. */
async function loadEngine() {
  const bgUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const dir = path.dirname(fileURLToPath(bgUrl));
  const bg = await import(bgUrl);
  const bytes = await readFile(path.join(dir, 'schema_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bg;
}

async function migrationList() {
  const dirs = existsSync(MIGRATIONS)
    ? (await readdir(MIGRATIONS, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    : [];
  const lockPath = path.join(MIGRATIONS, 'migration_lock.toml');
  return {
    baseDir: MIGRATIONS,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      dirs.map(async (d) => ({
        path: d,
        migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: await readFile(path.join(MIGRATIONS, d, 'migration.sql'), 'utf8') } },
      })),
    ),
  };
}

/**
 * The engine describes a database through catalog columns of PostgreSQL's one-byte "char" type (oid 18, e.g.
 * pg_class.relkind), which @prisma/adapter-pg 7.10 does not map ("Column type 'char' could not be deserialized").
 * Report those columns as text, which is what they hold. Patched on the shared query class, once.
 */
let patched = false;
function readCharAsText(adapter) {
  if (patched) return adapter;
  const queryable = Object.getPrototypeOf(Object.getPrototypeOf(adapter));
  const performIO = queryable.performIO;
  if (typeof performIO !== 'function') throw new Error('@prisma/adapter-pg changed: no performIO to patch');
  queryable.performIO = async function (query) {
    const result = await performIO.call(this, query);
    for (const field of result.fields) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
  patched = true;
  return adapter;
}

function timestamp(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

async function main() {
  const opts = args();
  const engineModule = await loadEngine();
  const adminUrl = process.env.SHADOW_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  // The engine expects Prisma's bound adapter (methods returning Result objects), as the Prisma CLI passes it.
  const u = new URL(adminUrl);
  const fields = {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
  const admin = new pg.Client({ ...fields, database: u.pathname.slice(1) || 'postgres' });
  await admin.connect();
  const shadows = [];
  // Our own shadow database: the adapter's built-in one drops the database before closing its pool (fails),
  // and with a connectionString it ignores the database override and replays migrations on the admin database.
  const adapter = bindMigrationAwareSqlAdapterFactory({
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: async () => readCharAsText(await new PrismaPg({ ...fields, database: u.pathname.slice(1) || 'postgres' }).connect()),
    connectToShadowDb: async () => {
      const name = `parley_shadow_${randomUUID().replaceAll('-', '')}`;
      await admin.query(`CREATE DATABASE "${name}"`);
      shadows.push(name);
      const shadow = readCharAsText(await new PrismaPg({ ...fields, database: name }).connect());
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      };
      return shadow;
    },
  });
  const schema = await readFile(SCHEMA, 'utf8');
  const engine = await engineModule.SchemaEngine.new({ datamodels: [[SCHEMA, schema]] }, () => undefined, adapter);
  const list = await migrationList();
  const filters = { externalTables: [], externalEnums: [] };
  const from = list.migrationDirectories.length ? { tag: 'migrations', ...list } : { tag: 'empty' };
  const to = { tag: 'schemaDatamodel', files: [{ path: SCHEMA, content: schema }] };
  let result;
  try {
    result = await engine.diff({ from, to, script: true, exitCode: true, filters });
  } finally {
    for (const name of shadows) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
  const sql = result.stdout ?? '';
  const empty = result.exitCode === 0 || sql.trim() === '' || sql.trim() === '-- This is an empty migration.';
  if (opts.check) {
    if (empty) return console.log('schema.prisma and prisma/migrations agree');
    console.log(sql);
    process.exitCode = 2;
    return;
  }
  if (empty) return console.log('no changes: nothing written');
  const dir = path.join(MIGRATIONS, `${timestamp()}_${opts.name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'migration.sql'), sql);
  const lockPath = path.join(MIGRATIONS, 'migration_lock.toml');
  if (!existsSync(lockPath)) {
    await writeFile(lockPath, '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n');
  }
  console.log(`wrote ${path.relative(ROOT, dir)}/migration.sql`);
}

main().then(
  () => process.exit(),
  (err) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  },
);
