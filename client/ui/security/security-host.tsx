/** Mounts the encryption panel when it is first opened: its module (and the QR libraries) is a chunk of its own. */
import { useEffect, useState } from 'preact/hooks';
import type { FunctionComponent } from 'preact';
import { securityPeer } from './open.js';

type Panel = FunctionComponent<{ peer: string }>;

export function SecurityHost() {
  const peer = securityPeer.value;
  const [Panel, setPanel] = useState<{ component: Panel } | null>(null);
  useEffect(() => {
    if (peer && !Panel) void import('./security-panel.js').then((m) => setPanel({ component: m.SecurityPanel }));
  }, [peer]);
  return peer && Panel ? <Panel.component peer={peer} /> : null;
}
