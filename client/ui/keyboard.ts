/** Keyboard helpers shared by lists and dialogs. */

/** Arrow keys (and Home/End) move focus between the items of a list that match `selector`. */
export function moveFocus(e: KeyboardEvent, selector: string): void {
  if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key) || e.altKey || e.ctrlKey || e.metaKey) return;
  const list = e.currentTarget as HTMLElement;
  const items = [...list.querySelectorAll<HTMLElement>(selector)];
  if (items.length === 0) return;
  const at = items.indexOf(document.activeElement as HTMLElement);
  const next =
    e.key === 'Home' ? 0 : e.key === 'End' ? items.length - 1 : e.key === 'ArrowDown' ? Math.min(items.length - 1, at + 1) : Math.max(0, at - 1);
  e.preventDefault();
  items[next]?.focus();
}
