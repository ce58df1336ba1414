// Real Chromium for the console's browser tests: Debian's chromium driven by playwright-core (the registry has no
// Playwright browser download), an axe-core scan of a page, and screenshots kept as test artifacts.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from './local-process.ts';

/** Debian's package; `.ci/run` installs it when missing. */
export const CHROMIUM = process.env.SHIPGATE_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots land: test artifacts, and the README's pictures (docs/screenshots) when asked to refresh them. */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');

/**
 * Launches headless Chromium with what this machine's closed network needs: no background networking, no component
 * updates, no sync, no first-run, so Chromium makes no connection of its own.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A fresh context (its own storage, as a new person's browser), with the page size of a laptop or a phone. */
export function newContext(browser: Browser, size: 'laptop' | 'phone' = 'laptop'): Promise<BrowserContext> {
  return browser.newContext({
    viewport: size === 'laptop' ? { width: 1366, height: 900 } : { width: 390, height: 844 },
    deviceScaleFactor: 1,
    // The axe scan is injected as a script; the console's own Content-Security-Policy would refuse it.
    bypassCSP: true,
  });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

/** Runs axe-core (WCAG 2 A and AA rules) on the page as it stands; answers every violation. */
export async function axeScan(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<unknown> } })
      .axe;
    const result = (await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    })) as { violations: AxeViolation[] };
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => ({ target: node.target })),
    }));
  });
}

/** Serious and critical violations, one line each, for an assertion message. */
export function severe(violations: readonly AxeViolation[]): string[] {
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((n) => n.target.join(' ')).join(', ')})`,
    );
}

/** Saves a full-page screenshot as a test artifact; with SHIPGATE_SCREENSHOTS=docs, also as the README's picture. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  if (process.env.SHIPGATE_SCREENSHOTS === 'docs') {
    const docs = join(ROOT, 'docs', 'screenshots');
    mkdirSync(docs, { recursive: true });
    await page.screenshot({ path: join(docs, `${name}.png`), fullPage: false });
  }
  return path;
}
