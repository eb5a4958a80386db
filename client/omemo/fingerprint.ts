/**
 * OMEMO fingerprints as Conversations shows and scans them: lowercase hex of the 32-byte Curve25519 identity key
 * (without the 0x05 type byte), displayed in 8 groups of 8; QR codes carry `xmpp:JID?omemo-sid-DEVICEID=FINGERPRINT`,
 * several devices separated by ';' (Conversations' XmppUri uses ';' for the xmpp: scheme).
 */
import { fromHex, toHex } from './bytes.js';
import { isDeviceId } from './types.js';

export function fingerprint(identityKey: Uint8Array): string {
  const raw = identityKey.byteLength === 33 && identityKey[0] === 0x05 ? identityKey.subarray(1) : identityKey;
  if (raw.byteLength !== 32) throw new Error('identity key must be 32 bytes (or 33 with the 0x05 prefix)');
  return toHex(raw);
}

/** "abcd1234 …" — 8 groups of 8 hex digits. */
export function formatFingerprint(fp: string): string {
  return (fp.toLowerCase().match(/.{1,8}/g) ?? []).join(' ');
}

export function fingerprintUri(jid: string, devices: { deviceId: number; fingerprint: string }[]): string {
  const params = devices.map((d) => `omemo-sid-${d.deviceId}=${d.fingerprint.toLowerCase()}`).join(';');
  return params ? `xmpp:${jid}?${params}` : `xmpp:${jid}`;
}

export interface ParsedFingerprintUri {
  jid: string;
  devices: { deviceId: number; fingerprint: string }[];
}

/** Parses a scanned URI; returns null for anything that is not an xmpp: URI with a JID. Invalid omemo-sid entries are skipped. */
export function parseFingerprintUri(uri: string): ParsedFingerprintUri | null {
  const m = /^xmpp:([^?#]+)(?:\?([^#]*))?/i.exec(uri.trim());
  if (!m) return null;
  let jid: string;
  try {
    jid = decodeURIComponent(m[1]!).replace(/^\/\//, '');
  } catch {
    return null;
  }
  if (!/^[^@/\s]+@[^@/\s]+$|^[^@/\s]+$/.test(jid)) return null;
  const devices: ParsedFingerprintUri['devices'] = [];
  for (const pair of (m[2] ?? '').split(/[;&]/)) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const key = pair.slice(0, eq).toLowerCase();
    if (!key.startsWith('omemo-sid-')) continue;
    const idText = key.slice('omemo-sid-'.length);
    const deviceId = Number(idText);
    const fp = pair.slice(eq + 1).toLowerCase();
    if (!/^\d+$/.test(idText) || !isDeviceId(deviceId)) continue;
    const bytes = fromHex(fp);
    if (!bytes || bytes.byteLength !== 32) continue;
    devices.push({ deviceId, fingerprint: fp });
  }
  return { jid, devices };
}
