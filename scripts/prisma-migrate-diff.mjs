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

function timestamp(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

async function main() {
  const opts = args();
  const engineModule = await loadEngine();
  const adminUrl = process.env.SHADOW_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  // The engine expects Prisma's bound adapter (methods returning Result objects), as the Prisma CLI passes it.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: adminUrl }));
  const schema = await readFile(SCHEMA, 'utf8');
  const logs = [];
  const engine = await engineModule.SchemaEngine.new({ datamodels: [[SCHEMA, schema]] }, (msg) => logs.push(msg), adapter);
  const list = await migrationList();
  const filters = { externalTables: [], externalEnums: [] };
  const from = list.migrationDirectories.length ? { tag: 'migrations', ...list } : { tag: 'empty' };
  const to = { tag: 'schemaDatamodel', files: [{ path: SCHEMA, content: schema }] };
  let result;
  try {
    result = await engine.diff({ from, to, script: true, exitCode: true, filters });
  } catch (err) {
    if (logs.length) console.error(logs.join('\n'));
    throw err;
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
