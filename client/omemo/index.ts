/** Public surface of the browser OMEMO 0.3 core. */
export { OmemoStore, DeviceStore } from './store.js';
export { OmemoDevice, randomDeviceId } from './device.js';
export { encrypt, encryptKeyTransport, decrypt } from './cipher.js';
export { buildEncrypted, parseEncrypted, buildBundle, parseBundle, buildDeviceList, parseDeviceList, parseXml } from './codec.js';
export { fingerprint, formatFingerprint, fingerprintUri, parseFingerprintUri } from './fingerprint.js';
export * from './types.js';
