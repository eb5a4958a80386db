/**
 * Components that the first paint does not need (views behind a route, the room administration) load as chunks of
 * their own: on first render, or earlier through `preloadLazyComponents()` once the page has painted. Until the code is
 * there the component renders nothing.
 */
import type { ComponentType, FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const preloaders: (() => Promise<unknown>)[] = [];

export function lazyComponent<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const start = (): Promise<ComponentType<P>> => {
    pending ??= load().then(
      (c) => (loaded = c),
      (err: unknown) => {
        // A chunk that did not arrive (offline, a deploy in between): the next render asks again.
        pending = null;
        throw err;
      },
    );
    return pending;
  };
  preloaders.push(() => start().catch(() => undefined));
  return function Lazy(props: P) {
    const [, setReady] = useState(0);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      start().then(
        () => live && setReady((n) => n + 1),
        (err: unknown) => console.error('loading a part of the app failed', err),
      );
      return () => {
        live = false;
      };
    }, []);
    const Loaded = loaded;
    return Loaded ? <Loaded {...props} /> : null;
  };
}

/** Loads every lazy component's code now (after the first paint), so opening one later does not wait for it. */
export function preloadLazyComponents(): void {
  for (const preload of preloaders) void preload();
}
