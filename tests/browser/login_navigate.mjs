#!/usr/bin/env node
// Browser test of the Relais web front end: sign-in, navigation, account page,
// user administration, keyboard access, CSP cleanliness, sign-out.
//
// Usage: node login_navigate.mjs /path/to/relais
//
// Starts a real server on a fresh data directory (127.0.0.1, random port) and drives
// Debian's Chromium (/usr/bin/chromium) through playwright-core. Exits 0 when every
// step passes, 1 on the first failure (printing what failed), 2 on bad usage.
// The server is stopped and the data directory removed in every case.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const RUN_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 10_000;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const ADMIN = { email: 'admin@test.fr', name: 'Alice Admin', password: 'correct horse battery' };
const MEMBER = { email: 'bruno@test.fr', name: 'Bruno Membre', password: 'bruno mot de passe' };

// Network errors Chromium logs to the console for answers the app expects:
// GET /api/me before signing in and POST /api/session with a wrong password.
const EXPECTED_401 = new Set(['/api/me', '/api/session']);

const state = {
  dataDir: null,
  server: null,
  serverLog: [],
  serverExit: null,
  browser: null,
  passed: 0,
  finished: false,
};

function log(line) {
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

/** Runs `relais user add`, giving the password on standard input. */
async function addUser(relais, dataDir, user, role) {
  const child = spawn(relais, [
    'user', 'add', '--data-dir', dataDir, '--email', user.email, '--name', user.name, '--role', role,
  ], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stdin.on('error', () => {}); // the child may exit before reading
  child.stdin.end(`${user.password}\n`);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const { code, signal } = await exited.finally(() => clearTimeout(timer));
  assert.equal(code, 0,
    `"relais user add" failed (code ${code}, signal ${signal}):\n${output.trim()}`);
}

/** Starts `relais serve` and resolves with its base URL from the "listening on" line. */
function startServer(relais, dataDir) {
  const child = spawn(relais, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
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

async function step(name, fn) {
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

const pathOf = (page) => new URL(page.url()).pathname;

async function waitForPath(page, wanted) {
  await page.waitForURL((url) => url.pathname === wanted, { timeout: STEP_TIMEOUT_MS });
}

/** Waits until the page's <h1> matches `pattern` and returns its text. */
async function heading(page, pattern) {
  const h1 = page.locator('main h1');
  await h1.filter({ hasText: pattern }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(await h1.count(), 1, 'the page must have exactly one <h1>');
  return (await h1.textContent()).trim();
}

async function focusedIsHeading(page) {
  return page.evaluate(() => document.activeElement && document.activeElement.tagName === 'H1');
}

async function signIn(page, email, password) {
  const form = page.locator('main form');
  await form.getByLabel('Adresse e-mail', { exact: true }).fill(email);
  await form.getByLabel('Mot de passe', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Se connecter' }).click();
}

async function run(relais) {
  state.dataDir = await mkdtemp(path.join(os.tmpdir(), 'relais-browser-'));
  await addUser(relais, state.dataDir, ADMIN, 'admin');
  const base = await startServer(relais, state.dataDir);
  log(`# server at ${base}`);

  state.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await state.browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);

  // Console errors, uncaught exceptions, CSP violations and server errors.
  const problems = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const where = message.location() && message.location().url ? message.location().url : '';
    if (/status of 401/.test(text) && where && EXPECTED_401.has(new URL(where).pathname)) return;
    problems.push(`console error: ${text}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught exception: ${err.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`server error ${response.status()} on ${response.url()}`);
  });
  await page.exposeFunction('reportCspViolation', (v) => problems.push(`CSP violation: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
        + ` at ${e.sourceFile || ''}:${e.lineNumber || ''}`);
    });
  });
  const assertNoProblems = () => assert.ok(problems.length === 0,
    `console errors or CSP violations:\n${problems.join('\n')}`);

  await step('visiting / redirects to /connexion', async () => {
    await page.goto(`${base}/`);
    await waitForPath(page, '/connexion');
    await heading(page, /^Connexion$/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    assert.match(await page.title(), /Connexion/);
    assert.equal(await page.getByRole('navigation', { name: 'Navigation principale' }).count(), 0,
      'the navigation must not be shown before signing in');
  });

  await step('a wrong password shows the French error in the alert region', async () => {
    await signIn(page, ADMIN.email, 'not the right password');
    const alert = page.locator('main [role="alert"]').filter({ hasText: /\S/ });
    await alert.waitFor();
    const text = (await alert.textContent()).trim();
    assert.match(text, /mot de passe/i, `unexpected error text: "${text}"`);
    assert.equal(pathOf(page), '/connexion');
  });

  await step('the right password lands on the home page with the user\'s name', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await waitForPath(page, '/');
    const h1 = await heading(page, ADMIN.name);
    assert.match(h1, /Alice Admin/);
    assert.match(await page.locator('header').textContent(), /Alice Admin/,
      'the header must show the signed-in user');
    assert.equal(await page.locator('main .card').count(), 4, 'the home page shows 4 area cards');
    assert.ok(await focusedIsHeading(page), 'focus must move to the page heading');
  });

  const nav = page.getByRole('navigation', { name: 'Navigation principale' });
  const areas = [
    { link: 'Ateliers', path: '/ateliers', h1: /^Ateliers$/, text: /Mes ateliers/ },
    { link: 'Bibliothèque', path: '/bibliotheque', h1: /^Bibliothèque$/, text: /arrive bientôt/ },
    { link: 'Veille', path: '/veille', h1: /^Veille$/, text: /arrive bientôt/ },
    { link: 'Expertises', path: '/expertises', h1: /^Expertises$/, text: /arrive bientôt/ },
  ];
  for (const area of areas) {
    await step(`the navigation link "${area.link}" opens ${area.path}`, async () => {
      const link = nav.getByRole('link', { name: area.link, exact: true });
      await link.click();
      await waitForPath(page, area.path);
      await heading(page, area.h1);
      assert.match(await page.locator('main').textContent(), area.text,
        `the page must show ${area.text}`);
      assert.equal(await link.getAttribute('aria-current'), 'page');
      assert.equal(await nav.locator('[aria-current="page"]').count(), 1);
      assert.match(await page.title(), new RegExp(area.link));
      assert.ok(await focusedIsHeading(page), 'focus must move to the page heading');
    });
  }

  await step('"Mon compte" shows the email address', async () => {
    await nav.getByRole('link', { name: 'Mon compte', exact: true }).click();
    await waitForPath(page, '/compte');
    await heading(page, /^Mon compte$/);
    await page.locator('main').getByText(ADMIN.email, { exact: true }).first().waitFor();
  });

  await step('an administrator creates the user "Bruno Membre"', async () => {
    await nav.getByRole('link', { name: 'Utilisateurs', exact: true }).click();
    await waitForPath(page, '/admin/utilisateurs');
    await heading(page, /^Utilisateurs$/);
    const table = page.locator('main table');
    await table.getByRole('row').filter({ hasText: ADMIN.email }).waitFor();

    const form = page.getByRole('form', { name: 'Créer un compte' });
    await form.getByLabel('Nom', { exact: true }).fill(MEMBER.name);
    await form.getByLabel('Adresse e-mail', { exact: true }).fill(MEMBER.email);
    await form.getByLabel('Rôle', { exact: true }).selectOption('membre');
    await form.getByLabel('Mot de passe initial', { exact: true }).fill(MEMBER.password);
    await form.getByRole('button', { name: 'Créer le compte' }).click();

    const row = table.getByRole('row').filter({ hasText: MEMBER.name });
    await row.waitFor();
    assert.match(await row.textContent(), /bruno@test\.fr/);
    await page.getByRole('status').filter({ hasText: MEMBER.name }).waitFor();
  });

  await step('the first Tab from the top of the page reaches the skip link', async () => {
    await page.goto(`${base}/`);
    await heading(page, ADMIN.name);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? { tag: el.tagName, href: el.getAttribute('href'), text: el.textContent.trim() } : null;
    });
    assert.deepEqual(focused, { tag: 'A', href: '#contenu', text: 'Aller au contenu' });
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id),
      'contenu', 'the skip link must move focus to <main id="contenu">');
  });

  await step('no console error and no CSP violation', async () => {
    assertNoProblems();
  });

  await step('"Se déconnecter" ends the session and lands on /connexion', async () => {
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await waitForPath(page, '/connexion');
    await heading(page, /^Connexion$/);
    const me = await page.request.get(`${base}/api/me`);
    assert.equal(me.status(), 401, 'GET /api/me must answer 401 after signing out');
  });

  await step('after signing in, the page first asked for is shown', async () => {
    await page.goto(`${base}/bibliotheque`);
    await waitForPath(page, '/connexion');
    await signIn(page, ADMIN.email, ADMIN.password);
    await waitForPath(page, '/bibliotheque');
    await heading(page, /^Bibliothèque$/);
    assertNoProblems();
  });
}

// ------------------------------------------------------------------ main

async function main() {
  const arg = process.argv[2];
  if (!arg) {
    log('usage: node login_navigate.mjs /path/to/relais');
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
    finish(1, `not ok - the whole run took more than ${RUN_TIMEOUT_MS / 1000} s`);
  }, RUN_TIMEOUT_MS);
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

main();
