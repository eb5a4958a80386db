/** The frame of every room-administration dialog: a native modal <dialog>, open while mounted, a title and Close. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../../../i18n/index.js';

let dialogCount = 0;

export function AdminDialog({ title, testid, busy = false, onClose, children }: { title: string; testid: string; busy?: boolean; onClose: () => void; children: ComponentChildren }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useRef(`room-admin-dialog-${++dialogCount}`).current;
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={dialog} class="security-dialog room-admin-dialog" data-testid={testid} aria-labelledby={titleId}
      onClose={onClose} onCancel={(e) => busy && e.preventDefault()}>
      <header class="security-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="button-quiet" data-testid={`${testid}-close`} disabled={busy} onClick={onClose}>{t('common.close')}</button>
      </header>
      {children}
    </dialog>
  );
}

/** How a room is named on screen: its name, else its address's local part. */
export function roomLabel(room: { jid: string; name: string | null }): string {
  return room.name?.trim() || room.jid.split('@')[0] || room.jid;
}
