/** Whether to encrypt to a contact: the user's choice if they made one, else on whenever the contact has OMEMO devices. */
import { useEffect, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import { omemo } from '../../app/omemo-loader.js';
import { omemoSettled } from '../../state/tab.js';

const ENCRYPTION_PREF = (peer: string) => `parley.encryption.${peer}`;
/** Bumped when a choice changes, so every toggle and composer of this tab looks again. */
const choices = signal(0);

export async function encryptionWanted(peer: string): Promise<boolean> {
  const pref = localStorage.getItem(ENCRYPTION_PREF(peer));
  if (pref !== null) return pref === 'on';
  const service = await omemo();
  return service ? service.isAvailable(peer) : false;
}

export function setEncryption(peer: string, on: boolean): void {
  localStorage.setItem(ENCRYPTION_PREF(peer), on ? 'on' : 'off');
  choices.value++;
}

/** The current answer for `peer` (null while it is being worked out). */
export function useEncryptionWanted(peer: string): boolean | null {
  const [wanted, setWanted] = useState<boolean | null>(null);
  const settled = omemoSettled.value;
  const changed = choices.value;
  useEffect(() => {
    let live = true;
    void encryptionWanted(peer).then((on) => live && setWanted(on));
    return () => {
      live = false;
    };
  }, [peer, settled, changed]);
  return wanted;
}
