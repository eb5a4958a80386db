/**
 * axe-core in a real page. Injected through page.evaluate (the DevTools protocol), not a <script> tag: the page's CSP
 * allows only its own scripts, and the check must not weaken it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

export interface AxeReport {
  violations: AxeViolation[];
  /** Rules that ran and passed (axe's `passes`). */
  passed: number;
  ms: number;
}

export async function runAxe(page: Page): Promise<AxeReport> {
  const started = Date.now();
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[]; passes: unknown[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return {
      passed: r.passes.length,
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`) })),
    };
  });
  return { ...result, ms: Date.now() - started };
}

/** Fails with every serious or critical violation (rule, impact, where); returns the report for figures. */
export async function assertNoSeriousViolations(page: Page, where: string): Promise<AxeReport> {
  const report = await runAxe(page);
  const bad = report.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = report.violations.filter((v) => !bad.includes(v));
  console.log(`axe ${where}: ${report.ms} ms, ${report.passed} rules passed, ${bad.length} serious/critical, ${minor.length} minor/moderate${minor.length ? ` (${minor.map((v) => v.id).join(', ')})` : ''}`);
  if (bad.length) {
    const lines = bad.map((v) => `  ${v.id} [${v.impact}] ${v.help}\n${v.targets.map((t) => `    at ${t}`).join('\n')}`);
    throw new Error(`axe on ${where}: ${bad.length} serious/critical violation(s)\n${lines.join('\n')}`);
  }
  return report;
}
