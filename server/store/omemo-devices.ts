/** The OMEMO device ids of an account's own Parley tabs, with liveness and revocation (public data only). */
import type { Database } from './db.js';
import { toBigInt } from './accounts.js';

export interface OmemoDeviceRow {
  deviceId: number;
  lastSeen: Date;
  revoked: boolean;
  createdAt: Date;
}

export class OmemoDeviceStore {
  constructor(private readonly db: Database) {}

  /** A tab announced this device: remember it as seen now. A revoked device stays revoked. */
  async touch(accountId: string, deviceId: number): Promise<void> {
    const id = toBigInt(accountId);
    if (id === null) return;
    await this.db.pool.query(
      `INSERT INTO "OmemoDevice" ("accountId", "deviceId", "lastSeen") VALUES ($1, $2, now())
       ON CONFLICT ("accountId", "deviceId") DO UPDATE SET "lastSeen" = now()`,
      [accountId, deviceId],
    );
  }

  async revoke(accountId: string, deviceId: number): Promise<void> {
    const id = toBigInt(accountId);
    if (id === null) return;
    await this.db.pool.query(
      `INSERT INTO "OmemoDevice" ("accountId", "deviceId", revoked) VALUES ($1, $2, true)
       ON CONFLICT ("accountId", "deviceId") DO UPDATE SET revoked = true`,
      [accountId, deviceId],
    );
  }

  async list(accountId: string): Promise<OmemoDeviceRow[]> {
    const id = toBigInt(accountId);
    if (id === null) return [];
    const rows = await this.db.prisma.omemoDevice.findMany({ where: { accountId: id }, orderBy: { deviceId: 'asc' } });
    return rows.map((r) => ({ deviceId: r.deviceId, lastSeen: r.lastSeen, revoked: r.revoked, createdAt: r.createdAt }));
  }
}
