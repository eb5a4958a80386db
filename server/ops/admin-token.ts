/**
 * The Bearer token of the loopback admin API that `npm run admin -- sessions|end` uses: PARLEY_ADMIN_TOKEN, or a
 * random one the instance writes into its data directory (mode 0600) at start. So the CLI works out of the box
 * for whoever may read the data directory (the `parley` user), and for nobody else on the machine.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const adminTokenFile = (dataDir: string) => path.join(dataDir, 'admin-token');

/** For the instance: the configured token, or the one in the data dir, created on first use. */
export function ensureAdminToken(config: { adminToken: string | null; dataDir: string }): string {
  if (config.adminToken) return config.adminToken;
  const existing = readAdminToken(config);
  if (existing) return existing;
  mkdirSync(config.dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  // Written aside, then linked into place: a second instance starting at the same moment never reads half a
  // file, and exactly one token wins (link fails with EEXIST for the other, which then reads the winner's).
  const file = adminTokenFile(config.dataDir);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, token + '\n', { mode: 0o600 });
  try {
    linkSync(temp, file);
    return token;
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
    return readAdminToken(config) ?? token;
  } finally {
    unlinkSync(temp);
  }
}

/** For the CLI: the configured token or the instance's file; null when neither exists. */
export function readAdminToken(config: { adminToken: string | null; dataDir: string }): string | null {
  if (config.adminToken) return config.adminToken;
  try {
    return readFileSync(adminTokenFile(config.dataDir), 'utf8').trim() || null;
  } catch {
    return null;
  }
}
