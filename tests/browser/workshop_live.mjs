#!/usr/bin/env node
// Browser test of the live workshops: an administrator creates a workshop from the
// "swot" template, starts it and invites a guest; the guest joins by the invitation
// link; notes, phase changes, votes and their reveal travel between the two
// browsers; the guest goes offline, writes a note (shown as pending), comes back,
// and the note reaches the facilitator exactly once; closing produces the report.
//
// Usage: node workshop_live.mjs /path/to/relais
//
// Starts a real server on a fresh data directory (127.0.0.1, random port) and drives
// Debian's Chromium (/usr/bin/chromium) through playwright-core, with two browser
// contexts (two people). Exits 0 when every step passes, 1 on the first failure,
// 2 on bad usage. The server is stopped and the data directory removed in every case.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const RUN_TIMEOUT_MS = 150_000;
const STEP_TIMEOUT_MS = 10_000;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const ADMIN = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };
const MEMBER = { email: 'camille@test.fr', name: 'Camille Membre', password: 'camille mot de passe' };
const GUEST = 'Bruno';
const WORKSHOP = 'Diagnostic SWOT du territoire';

const state = {
  dataDir: null,
  server: null,
  serverLog: [],
  serverExit: null,
  browser: null,
  passed: 0,
  finished: false,
  offline: false, // while the guest is offline, its failed connections are expected
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

/** Runs `relais ARGS` to completion, with `input` on standard input. */
async function runCli(relais, args, input = '') {
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

function addUser(relais, dataDir, user, role) {
  return runCli(relais, ['user', 'add', '--data-dir', dataDir, '--email', user.email, '--name', user.name,
    '--role', role], `${user.password}\n`);
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

async function waitForPath(page, pattern) {
  await page.waitForURL((url) => (typeof pattern === 'string' ? url.pathname === pattern : pattern.test(url.pathname)),
    { timeout: STEP_TIMEOUT_MS });
}

async function heading(page, pattern) {
  const h1 = page.locator('main h1');
  await h1.filter({ hasText: pattern }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(await h1.count(), 1, 'the page must have exactly one <h1>');
  return (await h1.textContent()).trim();
}

/** Console errors, uncaught exceptions, CSP violations and server errors of a page. */
async function watch(page, who, problems) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const where = message.location() && message.location().url ? message.location().url : '';
    const where404 = where ? new URL(where).pathname : '';
    // The answer the app expects: no account session for a guest.
    if (/status of 401/.test(text) && where404 === '/api/me') return;
    // While offline: the failed reconnections and access checks.
    if (state.offline && /ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed/.test(text)) return;
    problems.push(`${who}: console error: ${text}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`${who}: uncaught exception: ${err.message}`));
  if (process.env.WS_DEBUG) {
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => log(`# ${who} → ${String(f.payload).slice(0, 300)}`));
      ws.on('framereceived', (f) => log(`# ${who} ← ${String(f.payload).slice(0, 300)}`));
      ws.on('close', () => log(`# ${who} websocket closed`));
    });
  }
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${who}: server error ${response.status()} on ${response.url()}`);
  });
  await page.exposeFunction('reportCspViolation', (v) => problems.push(`${who}: CSP violation: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
        + ` at ${e.sourceFile || ''}:${e.lineNumber || ''}`);
    });
  });
}

const liveStatus = (page) => page.locator('main .live-status');

async function waitStatus(page, pattern) {
  await liveStatus(page).filter({ hasText: pattern }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

const column = (page, title) => page.getByRole('region', { name: title, exact: true });

async function postNote(page, columnTitle, text) {
  const area = column(page, columnTitle).getByLabel('Nouvelle note', { exact: true });
  await area.fill(text);
  await area.press('Control+Enter');
}

const noteIn = (page, text) => page.locator('main li.note', { hasText: text });

async function phaseTitle(page, pattern) {
  await page.locator('main h2.board-phase-title').filter({ hasText: pattern }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

async function gotoPhase(page, label) {
  await page.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ label });
  await page.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
}

async function run(relais) {
  state.dataDir = await mkdtemp(path.join(os.tmpdir(), 'relais-live-'));
  await addUser(relais, state.dataDir, ADMIN, 'admin');
  await addUser(relais, state.dataDir, MEMBER, 'membre');
  // No `relais seed`: the first serve loads the seed content even though `user add`
  // created the database.
  const base = await startServer(relais, state.dataDir);
  log(`# server at ${base}`);

  state.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  const contextA = await state.browser.newContext({ locale: 'fr-FR' });
  const contextB = await state.browser.newContext({ locale: 'fr-FR' });
  const a = await contextA.newPage();
  const b = await contextB.newPage();
  a.setDefaultTimeout(STEP_TIMEOUT_MS);
  b.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watch(a, 'A', problems);
  await watch(b, 'B', problems);
  const assertNoProblems = () => assert.ok(problems.length === 0,
    `console errors or CSP violations:\n${problems.join('\n')}`);

  let workshopPath = '';
  let inviteUrl = '';

  await step('A (administrator) signs in and opens "Ateliers"', async () => {
    await a.goto(`${base}/connexion`);
    const form = a.locator('main form');
    await form.getByLabel('Adresse e-mail', { exact: true }).fill(ADMIN.email);
    await form.getByLabel('Mot de passe', { exact: true }).fill(ADMIN.password);
    await form.getByRole('button', { name: 'Se connecter' }).click();
    await waitForPath(a, '/');
    await a.getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Ateliers', exact: true }).click();
    await waitForPath(a, '/ateliers');
    await heading(a, /^Ateliers$/);
    for (const section of ['Mes ateliers', 'À venir', 'Passés']) {
      await a.getByRole('heading', { level: 2, name: section, exact: true }).waitFor();
    }
  });

  await step('A creates a workshop from the "swot" template', async () => {
    await a.getByRole('link', { name: 'Créer un atelier', exact: true }).click();
    await waitForPath(a, '/ateliers/nouveau');
    await heading(a, /^Créer un atelier$/);
    const form = a.locator('main form');
    await form.getByLabel('Titre', { exact: true }).fill(WORKSHOP);
    await form.getByLabel('Sujet', { exact: true }).fill('Quels enjeux prioritaires pour le projet de santé ?');
    await form.getByLabel('Étape du projet de CPTS', { exact: true }).selectOption('projet_sante');
    await form.getByLabel('Date et heure', { exact: true }).fill('2026-12-01T14:00');
    await form.getByLabel('Modèle', { exact: true }).selectOption('swot');
    // The template's description and phases are shown.
    await a.locator('main .template-summary').filter({ hasText: 'Vote des enjeux prioritaires' }).waitFor();
    const cpts = form.getByLabel('CPTS concernée', { exact: true });
    const options = await cpts.locator('option').evaluateAll((list) => list.map((o) => o.value).filter(Boolean));
    if (options.length) await cpts.selectOption(options[0]);
    await form.getByRole('button', { name: 'Créer l’atelier' }).click();
    await waitForPath(a, /^\/ateliers\/\d+$/);
    workshopPath = pathOf(a);
    await heading(a, WORKSHOP);
    await a.getByRole('status').filter({ hasText: 'a été créé' }).waitFor();
    // The phase composer shows the template's five phases.
    assert.equal(await a.locator('main .phase-item').count(), 5, 'the composer lists the 5 phases of "swot"');
  });

  await step('A schedules then starts the workshop', async () => {
    await a.getByRole('button', { name: 'Programmer', exact: true }).click();
    await a.locator('main .workshop-state-line').filter({ hasText: 'Programmé' }).waitFor();
    await a.getByRole('button', { name: 'Démarrer', exact: true }).click();
    await a.locator('main .workshop-state-line').filter({ hasText: 'En direct' }).waitFor();
  });

  await step('A creates a participant invitation and gets its link once', async () => {
    const form = a.getByRole('form', { name: 'Créer un lien d’invitation' });
    await form.getByLabel('Rôle de l’invité', { exact: true }).selectOption('participant');
    await form.getByLabel('Validité (heures)', { exact: true }).fill('24');
    await form.getByLabel('Libellé (facultatif)', { exact: true }).fill('Professionnels du territoire');
    await form.getByRole('button', { name: 'Créer le lien' }).click();
    const link = a.getByLabel(/^Lien d’invitation/);
    await link.waitFor();
    inviteUrl = await link.inputValue();
    assert.match(inviteUrl, /^http:\/\/127\.0\.0\.1:\d+\/invitation\/[^/]+$/, `unexpected link ${inviteUrl}`);
    await a.locator('main table').getByRole('row').filter({ hasText: 'Professionnels du territoire' }).waitFor();
  });

  await step('A (administrator) enrols the member in the workshop', async () => {
    const form = a.getByRole('form', { name: 'Inscrire un participant' });
    await form.getByLabel('Compte à inscrire', { exact: true }).selectOption({ label: `${MEMBER.name} — ${MEMBER.email}` });
    await form.getByRole('button', { name: 'Inscrire', exact: true }).click();
    await a.getByRole('button', { name: `Retirer ${MEMBER.name}`, exact: true }).waitFor();
    await a.locator('main .details').filter({ hasText: MEMBER.name }).waitFor();
  });

  await step('A opens the live board and is connected', async () => {
    await a.getByRole('link', { name: 'Rejoindre le tableau', exact: true }).click();
    await waitForPath(a, `${workshopPath}/tableau`);
    await heading(a, WORKSHOP);
    await waitStatus(a, /^Connecté/);
    await phaseTitle(a, 'Phase 1 sur 5 : Accueil et attentes');
    await a.getByRole('heading', { name: 'Animation', exact: true }).waitFor();
  });

  await step('B joins through the invitation as the guest "Bruno"', async () => {
    await b.goto(inviteUrl);
    await heading(b, /^Invitation à un atelier$/);
    assert.match(await b.locator('main').textContent(), new RegExp(WORKSHOP));
    await b.getByLabel('Votre nom', { exact: true }).fill(GUEST);
    await b.getByRole('button', { name: 'Rejoindre l’atelier' }).click();
    await waitForPath(b, `${workshopPath}/tableau`);
    await heading(b, WORKSHOP);
    await waitStatus(b, /^Connecté/);
    assert.match(await b.locator('header').textContent(), /Bruno/, 'the header shows the guest\'s name');
    assert.equal(await b.getByRole('navigation', { name: 'Navigation principale' }).count(), 0,
      'a guest sees no navigation');
    assert.equal(await b.getByRole('heading', { name: 'Animation', exact: true }).count(), 0,
      'a guest has no facilitator panel');
    // A sees the guest in the presence list.
    await a.locator('main .presence-list').filter({ hasText: GUEST }).waitFor();
  });

  await step('a note posted by B appears on A\'s board with its author', async () => {
    await postNote(b, 'Vos attentes pour cet atelier', 'Repartir avec trois enjeux clairs');
    const note = noteIn(a, 'Repartir avec trois enjeux clairs');
    await note.waitFor();
    assert.match(await note.textContent(), /Bruno/);
    await noteIn(b, 'Repartir avec trois enjeux clairs').filter({ hasNotText: 'En attente' }).waitFor();
  });

  await step('A changes the phase and B sees the new phase title', async () => {
    await gotoPhase(a, '3. Mise en commun et regroupement');
    await phaseTitle(b, 'Phase 3 sur 5 : Mise en commun et regroupement');
    await postNote(b, 'Forces', 'Des MSP dynamiques');
    await noteIn(a, 'Des MSP dynamiques').waitFor();
  });

  await step('A starts the timer; B sees it running', async () => {
    await a.getByRole('button', { name: 'Démarrer', exact: true }).click();
    await b.waitForFunction(() => document.querySelector('main .timer-state')?.textContent === '');
    const first = await b.locator('main .timer-value').textContent();
    assert.match(first, /^\d+:\d{2}$/, `unexpected timer text "${first}"`);
    await b.waitForFunction((before) => {
      const el = document.querySelector('main .timer-value');
      return el && el.textContent !== before;
    }, first, { timeout: 4_000 });
  });

  await step('vote phase: B votes, A reveals the votes and both see the count', async () => {
    await gotoPhase(a, '4. Vote des enjeux prioritaires');
    await phaseTitle(b, 'Phase 4 sur 5 : Vote des enjeux prioritaires');
    await b.locator('main .votes-left').filter({ hasText: 'Votes restants : 3 sur 3' }).waitFor();
    const noteB = noteIn(b, 'Des MSP dynamiques');
    await noteB.getByRole('button', { name: 'Voter', exact: true }).click();
    await b.locator('main .votes-left').filter({ hasText: 'Votes restants : 2 sur 3' }).waitFor();
    await noteB.filter({ hasText: 'dont 1 de vous' }).waitFor();
    await a.getByRole('button', { name: 'Révéler les votes', exact: true }).click();
    await noteIn(a, 'Des MSP dynamiques').filter({ hasText: '1 vote' }).waitFor();
    await noteB.filter({ hasText: '1 vote' }).waitFor();
    await b.locator('main .board-phase-info').filter({ hasText: 'Votes révélés' }).waitFor();
  });

  await step('A moves to the action plan; B sees the new phase', async () => {
    await gotoPhase(a, '5. Plan d\'action');
    await phaseTitle(b, 'Phase 5 sur 5 : Plan d\'action');
    await b.getByRole('heading', { name: 'Plan d’action', exact: true }).waitFor();
  });

  const offlineText = 'Note écrite hors ligne';
  await step('offline, B\'s note is kept as pending and the banner says "Hors ligne"', async () => {
    state.offline = true;
    await contextB.setOffline(true);
    await waitStatus(b, /Hors ligne/);
    await postNote(b, 'Enjeux retenus', offlineText);
    const pending = noteIn(b, offlineText);
    await pending.filter({ hasText: 'En attente d’envoi' }).waitFor();
    assert.ok(await pending.evaluate((el) => el.classList.contains('note-pending')), 'the note is marked pending');
    assert.match(await liveStatus(b).textContent(), /Hors ligne.*1 modification en attente/);
    // Still offline after a moment: nothing reached A.
    await a.waitForTimeout(500);
    assert.equal(await noteIn(a, offlineText).count(), 0, 'the note must not reach A while B is offline');
  });

  await step('back online, the note reaches A exactly once', async () => {
    await contextB.setOffline(false);
    await waitStatus(b, /^Connecté$/);
    state.offline = false;
    await noteIn(a, offlineText).waitFor();
    await noteIn(b, offlineText).filter({ hasNotText: 'En attente' }).waitFor();
    await a.waitForTimeout(1_000);
    assert.equal(await noteIn(a, offlineText).count(), 1, 'A must see the note once');
    assert.equal(await noteIn(b, offlineText).count(), 1, 'B must see the note once');
    assert.equal(await b.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('relais.outbox')).length),
      0, 'the outbox in sessionStorage is empty once acknowledged');
  });

  const storedText = 'Note gardée pendant le rechargement';
  await step('a note written offline survives leaving the page (sessionStorage) and arrives once', async () => {
    state.offline = true;
    await contextB.setOffline(true);
    await waitStatus(b, /Hors ligne/);
    await postNote(b, 'Enjeux retenus', storedText);
    await noteIn(b, storedText).filter({ hasText: 'En attente d’envoi' }).waitFor();
    const stored = await b.evaluate(() => Object.entries(sessionStorage)
      .filter(([k]) => k.startsWith('relais.outbox')).map(([, v]) => v).join(''));
    assert.ok(stored.includes(storedText), 'the pending operation is kept in sessionStorage');
    // Leave the page while offline, come back online: the new page finds the
    // operation in sessionStorage and sends it after joining.
    const boardUrl = b.url();
    await b.goto('about:blank');
    await contextB.setOffline(false);
    state.offline = false;
    await b.goto(boardUrl);
    await waitStatus(b, /^Connecté$/);
    await phaseTitle(b, 'Phase 5 sur 5');
    await noteIn(a, storedText).waitFor();
    await noteIn(b, storedText).filter({ hasNotText: 'En attente' }).waitFor();
    await a.waitForTimeout(1_000);
    assert.equal(await noteIn(a, storedText).count(), 1, 'A must see the note once');
    assert.equal(await noteIn(b, offlineText).count(), 1, 'B sees the earlier note once after the reload');
  });

  await step('A closes the workshop; the report is shown, B is told the workshop is closed', async () => {
    await a.goto(`${base}${workshopPath}`);
    await heading(a, WORKSHOP);
    await a.getByRole('button', { name: 'Clore', exact: true }).click();
    await a.getByRole('dialog').getByRole('button', { name: 'Clore', exact: true }).click();
    await a.locator('main .workshop-state-line').filter({ hasText: 'Clos' }).waitFor();
    await b.locator('main .board-hint').filter({ hasText: 'clos' }).waitFor();
    await a.getByRole('link', { name: 'Compte rendu', exact: true }).click();
    await waitForPath(a, `${workshopPath}/compte-rendu`);
    await heading(a, /^Compte rendu — /);
    await a.locator('main .report h2').first().waitFor();
    assert.ok(await a.locator('main .report').getByText('Des MSP dynamiques').count() > 0,
      'the report mentions the notes of the board');
    await a.getByRole('link', { name: 'Plan d’action (CSV)' }).waitFor();
  });

  await step('no console error and no CSP violation', async () => {
    assertNoProblems();
  });
}

// ------------------------------------------------------------------ main

async function main() {
  const arg = process.argv[2];
  if (!arg) {
    log('usage: node workshop_live.mjs /path/to/relais');
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
