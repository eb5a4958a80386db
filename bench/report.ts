/**
 * What a bench section reports, and how run.ts prints and keeps it: free text lines, and figures that stand beside
 * the raw floor measured in the same run (plain XMPP clients or plain SQL, no Parley), so that a busy shared machine
 * moves both and the ratio stays readable. One JSON file per section run in bench/results/ (not committed).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';

export interface Figure {
  name: string;
  unit: string;
  parley: number;
  /** The same thing without Parley, measured in the same run; null when no floor applies (then `note` says why). */
  raw?: number | null;
  note?: string;
}

/**
 * Handed to each section. Callable as `report(line)` too, so sections written as `(report: (line: string) => void)`
 * keep working unchanged.
 */
export interface Reporter {
  (line: string): void;
  line(text: string): void;
  figure(f: Figure): void;
}

export type Section = (report: Reporter) => Promise<void>;

export interface SectionResult {
  section: string;
  startedAt: string;
  /** os.loadavg() when the section started: 1, 5 and 15 minutes. */
  loadAverageAtStart: number[];
  cpus: number;
  durationS: number;
  figures: Figure[];
  lines: string[];
  error?: string;
}

/** A reporter that prints each line as it comes and collects lines and figures for the section's table and JSON. */
export function sectionReporter(section: string, print: (text: string) => void = console.log): { reporter: Reporter; result: SectionResult } {
  const result: SectionResult = {
    section,
    startedAt: new Date().toISOString(),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    cpus: availableParallelism(),
    durationS: 0,
    figures: [],
    lines: [],
  };
  const line = (text: string) => {
    result.lines.push(text);
    print(`- ${text}`);
  };
  const figure = (f: Figure) => {
    const checked = checkFigure(f);
    result.figures.push(checked);
    print(`- ${checked.name}: ${formatValue(checked.parley, checked.unit)}` + (checked.raw == null ? '' : ` (raw floor ${formatValue(checked.raw, checked.unit)})`));
  };
  const reporter = Object.assign((text: string) => line(text), { line, figure });
  return { reporter, result };
}

/** A figure that is not a number is a bench bug: say so instead of printing NaN into a table and the JSON. */
function checkFigure(f: Figure): Figure {
  if (!f.name || !f.unit) throw new Error(`bench figure without name or unit: ${JSON.stringify(f)}`);
  if (!Number.isFinite(f.parley)) throw new Error(`bench figure "${f.name}": Parley value ${f.parley} is not a finite number`);
  if (f.raw != null && !Number.isFinite(f.raw)) throw new Error(`bench figure "${f.name}": raw floor ${f.raw} is not a finite number`);
  return { name: f.name, unit: f.unit, parley: f.parley, raw: f.raw ?? null, ...(f.note ? { note: f.note } : {}) };
}

export function formatValue(n: number, unit: string): string {
  const abs = Math.abs(n);
  const digits = abs >= 100 || Number.isInteger(n) ? 0 : abs >= 10 ? 1 : 2;
  return `${n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

/** Parley / raw floor; null without a floor or when the floor is 0. */
export function ratio(f: Figure): number | null {
  return f.raw == null || f.raw === 0 ? null : f.parley / f.raw;
}

/** The section's figures as a Markdown table: figure | Parley | raw floor | ratio (Parley / raw), notes under it. */
export function figureTable(figures: Figure[]): string {
  if (figures.length === 0) return '';
  const notes: string[] = [];
  const rows = figures.map((f) => {
    const r = ratio(f);
    if (f.note) notes.push(`[${notes.length + 1}] ${f.note}`);
    return [`${f.name}${f.note ? ` [${notes.length}]` : ''}`, formatValue(f.parley, f.unit), f.raw == null ? '—' : formatValue(f.raw, f.unit), r == null ? '—' : `${r.toFixed(r >= 10 ? 0 : 2)}×`];
  });
  const head = ['figure', 'Parley', 'raw floor', 'ratio (Parley/raw)'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  return [fmt(head), `|${widths.map((w, c) => (c === 0 ? '-' : '') + '-'.repeat(w + 1) + (c === 0 ? '' : ':')).join('|')}|`, ...rows.map(fmt), ...notes].join('\n');
}

/** Writes bench/results/<section>-<ISO 8601 basic time>.json and returns its path. */
export async function writeSectionResult(dir: string, result: SectionResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = path.join(dir, `${result.section}-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
