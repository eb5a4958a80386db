/** preact/compat's memo without pulling in compat: re-renders `render` only when `same(prev, next)` says the props changed. */
import { Component, type ComponentChildren } from 'preact';

export function memo<P extends object>(render: (props: P) => ComponentChildren, same: (prev: P, next: P) => boolean) {
  return class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !same(this.props as P, next);
    }
    override render(props: P): ComponentChildren {
      return render(props);
    }
  };
}
