// Shared harness of the browser tests (login_navigate.mjs, workshop_live.mjs).
//
// It owns the run's state (data directory, server, browser, passed steps), runs the
// `relais` command line, starts `relais serve` on 127.0.0.1 with a random port,
// launches Debian's Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) through
// playwright-core, reports steps as "ok - ..." / "not ok - ...", watches pages for
// console errors and CSP violations, and guarantees the cleanup (browser closed,
// server stopped, data directory removed) on success, failure, watchdog and signals.
//
// A test calls runTest({ name, timeoutMs, run }) and writes its steps in run(relais).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const STEP_TIMEOUT_MS = 10_000;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const state = {
  dataDir: null,
  server: null,
  serverLog: [],
  serverExit: null,
  browser: null,
  passed: 0,
  finished: false,
};

export function log(line) {
  process.stdout.write(`${line}\n`);
}

function remember(line) {
  state.serverLog.push(line);
  if (state.serverLog.length > 60) state.serverLog.shift();
}

// ------------------------------------------------------------------ processes

function waitForExit(child, ms) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Creates the run's fresh data directory (removed by cleanup) and returns its path. */
export async function makeDataDir(prefix) {
  state.dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return state.dataDir;
}

/** Runs `relais ARGS` to completion, with `input` on standard input. */
export async function runCli(relais, args, input = '') {
  const child = spawn(relais, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stdin.on('error', () => {}); // the child may exit before reading
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const { code, signal } = await exited.finally(() => clearTimeout(timer));
  assert.equal(code, 0, `"relais ${args.slice(0, 2).join(' ')}" failed (code ${code}, signal ${signal}):\n${output.trim()}`);
}

/** Runs `relais user add`, giving the password on standard input. */
export function addUser(relais, dataDir, user, role) {
  return runCli(relais, ['user', 'add', '--data-dir', dataDir, '--email', user.email, '--name', user.name,
    '--role', role], `${user.password}\n`);
}

/**
 * Starts `relais serve` and resolves with its base URL from the "listening on" line.
 * `extraArgs`: more arguments, e.g. ['--set', 'outbound.allow_loopback=true'].
 */
export function startServer(relais, dataDir, extraArgs = []) {
  const child = spawn(relais, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  state.server = child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      'the server did not print "listening on http://..." within 20 s')), 20_000);
    const onLine = (line) => {
      remember(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/+$/, ''));
      }
    };
    // Keep reading both streams for the whole run so that the server never blocks.
    // The address is announced on standard output; standard error is accepted too.
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start the server: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      state.serverExit = `code ${code}, signal ${signal}`;
      reject(new Error(`the server exited early (${state.serverExit})`));
    });
  });
}

/** Launches headless Chromium; cleanup closes it. */
export async function launchBrowser() {
  state.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return state.browser;
}

/** A new French browser context (one person) and its page, with the step timeout. */
export async function newPage() {
  const context = await state.browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  return { context, page };
}

async function cleanup() {
  if (state.browser) {
    const browser = state.browser;
    state.browser = null;
    await Promise.race([
      browser.close().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 5_000)),
    ]);
  }
  if (state.server) {
    const server = state.server;
    state.server = null;
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      if (!(await waitForExit(server, 5_000))) {
        server.kill('SIGKILL');
        await waitForExit(server, 2_000);
      }
    }
  }
  if (state.dataDir) {
    const dir = state.dataDir;
    state.dataDir = null;
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

async function finish(code, message) {
  if (state.finished) return;
  state.finished = true;
  if (message) log(message);
  if (code !== 0 && state.serverLog.length) {
    log('--- last server output ---');
    for (const line of state.serverLog) log(line);
  }
  await cleanup();
  log(`browser: ${state.passed} passed, ${code === 0 ? 0 : 1} failed`);
  process.exit(code);
}

// ------------------------------------------------------------------ steps

export async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    let detail = err && err.message ? err.message : String(err);
    if (state.serverExit) detail += `\n(the server had exited during the run: ${state.serverExit})`;
    throw new Error(`not ok - ${name}\n  ${detail.split('\n').join('\n  ')}`, { cause: err });
  }
  state.passed += 1;
  log(`ok - ${name}`);
}

export const pathOf = (page) => new URL(page.url()).pathname;

/** Waits until the page's path equals `pattern` (a string) or matches it (a RegExp). */
export async function waitForPath(page, pattern) {
  await page.waitForURL((url) => (typeof pattern === 'string' ? url.pathname === pattern : pattern.test(url.pathname)),
    { timeout: STEP_TIMEOUT_MS });
}

/** Waits until the page's <h1> matches `pattern` and returns its text. */
/** Signs `user` ({ email, password }) in through the login page; resolves on the home page. */
export async function signIn(page, base, user) {
  await page.goto(`${base}/connexion`);
  const form = page.locator('main form');
  await form.getByLabel('Adresse e-mail', { exact: true }).fill(user.email);
  await form.getByLabel('Mot de passe', { exact: true }).fill(user.password);
  await form.getByRole('button', { name: 'Se connecter' }).click();
  await waitForPath(page, '/');
}

/**
 * One person signed in, in a French context of 1366 × 900 px (Europe/Paris), its console
 * watched into `problems` (401 on /api/me allowed), and `call(method, path, data)` for the
 * API with the same session (JSON answer, null for 204; a failure throws).
 */
export async function signedIn(browser, base, user, problems, { who = user.email, allow401 = [] } = {}) {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watchPage(page, problems, { who, allow: (text, where) => isExpected401(text, where, ['/api/me', ...allow401]) });
  await signIn(page, base, user);
  const call = async (method, path, data) => {
    const response = await page.request.fetch(`${base}${path}`, { method, data, headers: { Origin: base } });
    if (!response.ok()) throw new Error(`${method} ${path}: ${response.status()} ${await response.text()}`);
    return response.status() === 204 ? null : response.json();
  };
  return { context, page, call };
}

/** No horizontal scrolling: the page is no wider than the window. */
export async function assertNoOverflow(page) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `the page scrolls sideways (${scroll} px wide for ${client} px)`);
}

/**
 * The message `text` of the last action is in view: in the status region at the top of
 * <main> when that is on screen, else in its copy beside the action (`.status-echo`).
 */
export async function assertMessageInView(page, text) {
  await page.locator('#statut').filter({ hasText: text }).waitFor();
  const seen = await page.evaluate((wanted) => {
    const inView = (el) => {
      const r = el.getBoundingClientRect();
      return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
    };
    const status = document.getElementById('statut');
    if (inView(status)) return 'status';
    const norm = (x) => (x || '').replace(/\s+/gu, ' ').trim();
    const echo = [...document.querySelectorAll('.status-echo')].find((el) => norm(el.dataset.message) === norm(wanted));
    return echo && inView(echo) ? 'echo' : null;
  }, text);
  assert.ok(seen, `the message « ${text} » is not in view`);
  return seen;
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is and fails with the list
 * of violations, if any. The script is evaluated by the driver, not injected as a <script>:
 * the page's Content-Security-Policy stays as it is.
 */
let axeSource = null;
export async function assertAxeClean(page, label) {
  if (!axeSource) {
    const { readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    axeSource = readFileSync(fileURLToPath(new URL('./node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8');
  }
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(violations, [], `axe found violations on ${label}:\n${violations.join('\n')}`);
}

export async function heading(page, pattern) {
  const h1 = page.locator('main h1');
  await h1.filter({ hasText: pattern }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(await h1.count(), 1, 'the page must have exactly one <h1>');
  return (await h1.textContent()).trim();
}

// ------------------------------------------------------------------ problems

/** True for a console "status of 401" error whose page URL path is one of `paths`. */
export function isExpected401(text, where, paths) {
  return /status of 401/.test(text) && Boolean(where) && paths.includes(new URL(where).pathname);
}

/**
 * Collects into `problems` the console errors, uncaught exceptions, CSP violations
 * and server errors (5xx) of `page`. `who` prefixes each entry ("A: ..."), if given;
 * `allow(text, where)` returns true for console errors the test expects.
 */
export async function watchPage(page, problems, { who = '', allow = () => false } = {}) {
  const prefix = who ? `${who}: ` : '';
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const where = message.location() && message.location().url ? message.location().url : '';
    if (allow(text, where)) return;
    problems.push(`${prefix}console error: ${text}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`${prefix}uncaught exception: ${err.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${prefix}server error ${response.status()} on ${response.url()}`);
  });
  await page.exposeFunction('reportCspViolation', (v) => problems.push(`${prefix}CSP violation: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
        + ` at ${e.sourceFile || ''}:${e.lineNumber || ''}`);
    });
  });
}

export function assertNoProblems(problems) {
  assert.ok(problems.length === 0, `console errors or CSP violations:\n${problems.join('\n')}`);
}

// ------------------------------------------------------------------ main

/**
 * Runs a browser test: checks the binary given on the command line, arms the
 * watchdog (`timeoutMs` for the whole run) and the signal handlers, calls
 * `run(relais)`, then cleans up and exits 0 (all passed), 1 (a failure) or 2 (usage).
 */
export async function runTest({ name, timeoutMs, run }) {
  const arg = process.argv[2];
  if (!arg) {
    log(`usage: node ${name} /path/to/relais`);
    process.exit(2);
  }
  const relais = path.resolve(arg);
  try {
    await access(relais, fsConstants.X_OK);
  } catch {
    log(`not ok - the server binary ${relais} does not exist or is not executable`);
    log('browser: 0 passed, 1 failed');
    process.exit(1);
  }

  const watchdog = setTimeout(() => {
    finish(1, `not ok - the whole run took more than ${timeoutMs / 1000} s`);
  }, timeoutMs);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => finish(1, `not ok - interrupted by ${signal}`));
  }

  try {
    await run(relais);
  } catch (err) {
    clearTimeout(watchdog);
    const message = err && err.message ? err.message : String(err);
    await finish(1, message.startsWith('not ok') ? message : `not ok - ${message}`);
    return;
  }
  clearTimeout(watchdog);
  await finish(0, 'all browser steps passed');
}
