/**
 * Prisma CLI configuration. The schema has no url: the CLI reads it from here, the server passes its own
 * connection to the client through @prisma/adapter-pg (server/store/db.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

// `prisma generate` checks for the native schema engine, which cannot be downloaded here and is not needed for
// generating: point the check at any existing file. Migrations are applied by server/store/migrate.ts, and
// created offline by scripts/prisma-migrate-diff.mjs (WebAssembly schema engine).
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(process.env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = fileURLToPath(import.meta.url);
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/parley',
  },
});
