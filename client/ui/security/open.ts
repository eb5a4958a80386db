/** Which conversation's encryption panel is open; the panel and its QR libraries load on first use. */
import { signal } from '@preact/signals';

export const securityPeer = signal<string | null>(null);

export function openSecurity(peer: string): void {
  securityPeer.value = peer;
}

export function closeSecurity(): void {
  securityPeer.value = null;
}
