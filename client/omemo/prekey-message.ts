/**
 * Reads the sender's identity key out of a PreKeySignalMessage before handing it to the Signal library: the JS library's
 * own trust check on this path is not awaited (processV3), so a changed or compromised identity would slip through.
 * Wire format: one version byte (0x33) then protobuf fields 1 preKeyId, 2 baseKey, 3 identityKey, 4 message,
 * 5 registrationId, 6 signedPreKeyId. A dozen lines of protobuf reading beat a CommonJS interop dependency here.
 */

function readVarint(buf: Uint8Array, at: { pos: number }): number {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at.pos >= buf.length) throw new Error('truncated varint');
    const b = buf[at.pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
  }
  throw new Error('varint too long');
}

export function preKeyMessageIdentity(message: Uint8Array): Uint8Array | null {
  if (message.byteLength < 2 || message[0]! >> 4 !== 3) return null;
  const buf = message.subarray(1);
  const at = { pos: 0 };
  let identity: Uint8Array | null = null;
  try {
    while (at.pos < buf.length) {
      const tag = readVarint(buf, at);
      const wire = tag & 7;
      if (wire === 0) readVarint(buf, at);
      else if (wire === 2) {
        const len = readVarint(buf, at);
        if (at.pos + len > buf.length) return null;
        if (tag >>> 3 === 3) identity = buf.slice(at.pos, at.pos + len);
        at.pos += len;
      } else return null; // PreKeySignalMessage uses only varints and length-delimited fields
    }
  } catch {
    return null;
  }
  return identity && identity.byteLength === 33 ? identity : null;
}
