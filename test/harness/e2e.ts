/** The usual end-to-end set-up: one Parley stack and one Chromium for a file (or a describe block), stopped after it. */
import { before, after } from 'node:test';
import type { Browser } from 'playwright-core';
import { TestStack, type StackOptions } from './parley.js';
import { launchBrowser } from './browser.js';

export interface E2e {
  readonly stack: TestStack;
  readonly browser: Browser;
}

/** Registers before/after hooks in the current scope; read `stack` and `browser` inside tests. */
export function e2eStack(opts: StackOptions = {}): E2e {
  let stack: TestStack | undefined;
  let browser: Browser | undefined;
  before(async () => {
    stack = await TestStack.start(opts);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });
  return {
    get stack() {
      if (!stack) throw new Error('e2eStack: the stack is not started (used outside a test?)');
      return stack;
    },
    get browser() {
      if (!browser) throw new Error('e2eStack: the browser is not started (used outside a test?)');
      return browser;
    },
  };
}
