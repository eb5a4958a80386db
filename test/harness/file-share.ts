/**
 * The other side of encrypted file sharing (XEP-0454) for tests, independent of the tab's code: node:crypto
 * AES-256-GCM (tag appended), its own aesgcm:// reading and writing, and uploads to the test server's XEP-0363
 * service (Prosody's mod_http_file_share) over its own XMPP connection.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { xml } from '@xmpp/xml';
import type { XmppPeer } from './xmpp-peer.js';

export interface SealedFile {
  data: Buffer;
  iv: Buffer;
  key: Buffer;
}

export function sealFile(plain: Buffer, ivBytes: 12 | 16 = 12): SealedFile {
  const iv = randomBytes(ivBytes);
  const key = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, iv);
  return { data: Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]), iv, key };
}

export function openFile(data: Buffer, iv: Buffer, key: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
}

/** `aesgcm://host/path#ivkey` for a GET URL (http or https). */
export function aesgcmLink(getUrl: string, iv: Buffer, key: Buffer): string {
  return `aesgcm://${getUrl.replace(/^https?:\/\//, '')}#${iv.toString('hex')}${key.toString('hex')}`;
}

/** The pieces of a link: the plain-http URL the test service serves it at, iv and key. */
export function readLink(link: string): { httpUrl: string; iv: Buffer; key: Buffer } {
  const m = /^aesgcm:\/\/([^#\s]+)#([0-9a-f]{88}|[0-9a-f]{96})$/i.exec(link);
  if (!m) throw new Error(`not an aesgcm link: ${link}`);
  const ivHex = m[2]!.length === 88 ? 24 : 32;
  return { httpUrl: `http://${m[1]}`, iv: Buffer.from(m[2]!.slice(0, ivHex), 'hex'), key: Buffer.from(m[2]!.slice(ivHex), 'hex') };
}

/** Asks the upload service for a slot and PUTs the bytes; returns the GET URL. */
export async function uploadToShare(peer: XmppPeer, service: string, name: string, bytes: Buffer, type = 'application/octet-stream'): Promise<string> {
  const answer = await peer.conn.iq(
    xml('iq', { type: 'get', to: service }, xml('request', { xmlns: 'urn:xmpp:http:upload:0', filename: name, size: String(bytes.length), 'content-type': type })),
  );
  const slot = answer.getChild('slot', 'urn:xmpp:http:upload:0');
  const put = slot?.getChild('put');
  const get = slot?.getChild('get')?.attrs.url as string | undefined;
  if (!put || !get) throw new Error(`no slot: ${answer.toString()}`);
  const headers: Record<string, string> = { 'content-type': type };
  for (const h of put.getChildren('header')) headers[String(h.attrs.name)] = h.getText();
  const res = await fetch(String(put.attrs.url), { method: 'PUT', body: new Uint8Array(bytes), headers });
  if (!res.ok) throw new Error(`PUT answered ${res.status}`);
  return get;
}
