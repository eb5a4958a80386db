/**
 * Keyboard shortcuts of the app page, and the list of them that `?` opens. Letter shortcuts never fire while the
 * user types in a field.
 */
import { useEffect, useRef } from 'preact/hooks';
import { signal } from '@preact/signals';
import { route, navigate } from '../app/route.js';
import { rosterEntries, type AppState } from '../state/app-state.js';
import { openSecurity, securityPeer } from './security/open.js';
import { t, type MessageKey } from '../i18n/index.js';

export const shortcutsOpen = signal(false);

const SHORTCUTS: readonly { keys: string; what: MessageKey }[] = [
  { keys: '?', what: 'shortcuts.help' },
  { keys: 'Alt+↓ / Alt+↑', what: 'shortcuts.nextPrevious' },
  { keys: '/', what: 'shortcuts.addContact' },
  { keys: 'Alt+I', what: 'shortcuts.security' },
  { keys: 'Alt+,', what: 'shortcuts.settings' },
  { keys: 'Esc', what: 'shortcuts.back' },
  { keys: 'Enter / Shift+Enter', what: 'shortcuts.send' },
  { keys: '↓ ↑ Home End', what: 'shortcuts.list' },
];

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** A field where Escape may mean "stop typing" rather than "leave the view": text, not a select or a checkbox. */
function editingText(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA') return true;
  return el.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color'].includes((el as HTMLInputElement).type);
}

export function handleShortcut(e: KeyboardEvent, state: AppState): void {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey) return;
  const current = route.value;
  if (e.altKey && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
    const entries = rosterEntries(state);
    if (entries.length === 0) return;
    const at = current.view === 'chat' ? entries.findIndex((x) => x.jid === current.peer) : -1;
    const next = e.key === 'ArrowDown' ? Math.min(entries.length - 1, at + 1) : Math.max(0, at - 1);
    e.preventDefault();
    navigate({ view: 'chat', peer: entries[next]!.jid });
    return;
  }
  if (e.altKey && (e.key === 'i' || e.key === 'I' || e.code === 'KeyI')) {
    if (current.view === 'chat') {
      e.preventDefault();
      openSecurity(current.peer);
    }
    return;
  }
  if (e.altKey && (e.key === ',' || e.code === 'Comma')) {
    e.preventDefault();
    navigate({ view: 'settings' });
    return;
  }
  if (e.altKey) return;
  if (e.key === 'Escape' && !shortcutsOpen.value && !securityPeer.value && document.querySelector('dialog[open]') === null) {
    if (current.view !== 'home' && !editingText(e.target)) {
      e.preventDefault();
      navigate({ view: 'home' });
    }
    return;
  }
  if (typing(e.target)) return;
  if (e.key === '?') {
    e.preventDefault();
    shortcutsOpen.value = true;
  } else if (e.key === '/') {
    e.preventDefault();
    document.getElementById('add-contact-jid')?.focus();
  }
}

export function ShortcutsDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  const open = shortcutsOpen.value;
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={dialog} class="security-dialog shortcuts-dialog" data-testid="shortcuts-dialog" aria-labelledby="shortcuts-title" onClose={() => (shortcutsOpen.value = false)}>
      <header class="security-header">
        <h2 id="shortcuts-title">{t('shortcuts.title')}</h2>
        <button type="button" class="button-quiet" data-testid="shortcuts-close" onClick={() => (shortcutsOpen.value = false)}>{t('common.close')}</button>
      </header>
      <dl class="shortcut-list">
        {SHORTCUTS.map((s) => (
          <div key={s.keys} class="shortcut">
            <dt><kbd>{s.keys}</kbd></dt>
            <dd>{t(s.what)}</dd>
          </div>
        ))}
      </dl>
    </dialog>
  );
}
