/**
 * The only way UI code builds elements. Text is always set with textContent / text nodes: nothing from
 * the network is ever parsed as HTML.
 */
export interface Props {
  class?: string;
  testid?: string;
  text?: string;
  attrs?: Record<string, string | undefined>;
  data?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) if (value !== undefined) el.setAttribute(name, value);
  for (const [name, value] of Object.entries(props.data ?? {})) el.dataset[name] = value;
  for (const child of children) if (child !== null) el.append(child);
  return el;
}

/** An element the server-rendered shell must contain. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page is missing #${id}`);
  return el as T;
}

/** Coalesces many store notifications into one render per task (rAF would stall in background tabs). */
export function batched(render: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      render();
    });
  };
}
