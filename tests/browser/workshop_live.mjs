#!/usr/bin/env node
// Browser test of the live workshops: an administrator creates a workshop from the
// "swot" template, starts it and invites a guest; the guest joins by the invitation
// link; notes, phase changes, votes and their reveal travel between the two
// browsers; the guest goes offline, writes a note (shown as pending), comes back,
// and the note reaches the facilitator exactly once; closing produces the report;
// A leaves the board and comes back on the page's one socket; the guest's sign-out
// closes its open board at once. The facilitator sees who has voted (« 1 / 2 a voté »),
// live and after a reload; controls that would be refused are not offered (Pause while
// the timer is stopped, Démarrer while it runs, everything once the workshop is closed);
// Escape closes « Autres contrôles » and the side panel; an edit conflict keeps the focus
// in the editor; the lock is said once, in the bar; the phone bar stays compact.
// Nothing typed is lost: the note editor's and the chat's drafts survive a reload; an
// editor whose column goes or whose note is deleted gives its text back; an offline edit
// shows at once and a second one chains on it; the outbox outlives a closed tab
// (localStorage) and leaving with changes unsent asks first. Deleting an action and
// « Quitter l’atelier » ask first; a closed board offers nothing that would be refused.
//
// Usage: node workshop_live.mjs /path/to/relais
//
// Starts a real server on a fresh data directory (127.0.0.1, random port) and drives
// Debian's Chromium (/usr/bin/chromium) through playwright-core, with two browser
// contexts (two people). Exits 0 when every step passes, 1 on the first failure,
// 2 on bad usage. The server is stopped and the data directory removed in every case
// (harness.mjs).

import assert from 'node:assert/strict';
import {
  STEP_TIMEOUT_MS, addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log, makeDataDir,
  newPage, pathOf, runTest, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;

const ADMIN = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };
const MEMBER = { email: 'camille@test.fr', name: 'Camille Membre', password: 'camille mot de passe' };
const GUEST = 'Bruno';
const WORKSHOP = 'Diagnostic SWOT du territoire';

let offline = false; // while the guest is offline, its failed connections are expected
let signedOut = false; // once the guest signed out, its refused reconnection and access check are expected

/** The harness's checks of a page, with this test's allowances (and WS_DEBUG tracing). */
async function watch(page, who, problems) {
  await watchPage(page, problems, {
    who,
    allow: (text, where) =>
      // The answer the app expects: no account session for a guest.
      isExpected401(text, where, ['/api/me'])
      // While offline: the failed reconnections and access checks.
      || (offline && /ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed/.test(text))
      || (signedOut && (/status of 401/.test(text) || /WebSocket connection to .* failed/.test(text))),
  });
  if (process.env.WS_DEBUG) {
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => log(`# ${who} → ${String(f.payload).slice(0, 300)}`));
      ws.on('framereceived', (f) => log(`# ${who} ← ${String(f.payload).slice(0, 300)}`));
      ws.on('close', () => log(`# ${who} websocket closed`));
    });
  }
}

const liveStatus = (page) => page.locator('main .live-status');

async function waitStatus(page, pattern) {
  await liveStatus(page).filter({ hasText: pattern }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

const column = (page, title) => page.getByRole('region', { name: title, exact: true });

/** The facilitator's count of who has voted, in the bar. */
async function voters(page, text) {
  await page.locator('.board-bar .votes-voters').filter({ hasText: new RegExp(`^${text.replace(/[/]/g, '\\/')}$`) }).waitFor();
}

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
  const dataDir = await makeDataDir('relais-live-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  await addUser(relais, dataDir, MEMBER, 'membre');
  // No `relais seed`: the first serve loads the seed content even though `user add`
  // created the database.
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);

  await launchBrowser();
  const problems = [];
  const { context: contextA, page: a } = await newPage();
  const { context: contextB, page: firstB } = await newPage();
  let b = firstB; // B's tab (closed and opened again further on)
  await watch(a, 'A', problems);
  await watch(b, 'B', problems);

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
    // The phase composer shows the template's six phases.
    assert.equal(await a.locator('main .phase-item').count(), 6, 'the composer lists the 6 phases of "swot"');
  });

  await step('A schedules then starts the workshop', async () => {
    await a.getByRole('button', { name: 'Programmer', exact: true }).click();
    await a.locator('main .workshop-state-line').filter({ hasText: 'Programmé' }).waitFor();
    // Before it starts, the board says who sees the notes written: their author and the
    // facilitators (not « vous seul »).
    await a.goto(`${base}${workshopPath}/tableau`);
    await a.locator('main .board-hint').filter({ hasText: 'vos notes restent visibles de vous et des animateurs jusqu’à leur révélation' }).waitFor();
    await a.goto(`${base}${workshopPath}`);
    await heading(a, WORKSHOP);
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
    // The directory shows names and organisations, never e-mail addresses.
    await form.getByLabel('Compte à inscrire', { exact: true }).selectOption({ label: MEMBER.name });
    await form.getByRole('button', { name: 'Inscrire', exact: true }).click();
    await a.getByRole('button', { name: `Retirer ${MEMBER.name}`, exact: true }).waitFor();
    // Said without a gendered agreement (« est inscrit »).
    await a.getByText(`Inscription : ${MEMBER.name}`).first().waitFor();
    assert.equal(await a.getByText(/est inscrit/).count(), 0, 'no « est inscrit »');
    await a.locator('main .details').filter({ hasText: MEMBER.name }).waitFor();
  });

  await step('A opens the live board and is connected', async () => {
    await a.getByRole('link', { name: 'Rejoindre le tableau', exact: true }).click();
    await waitForPath(a, `${workshopPath}/tableau`);
    await heading(a, WORKSHOP);
    await waitStatus(a, /^Connecté/);
    await phaseTitle(a, 'Phase 1 sur 6 : Accueil et attentes');
    // The facilitator's controls are in the board's bar.
    await a.getByRole('group', { name: 'Animation', exact: true }).waitFor();
    // Presence and chat: in the side panel, opened from the bar.
    const side = a.getByRole('button', { name: 'Participants et discussion' });
    if (await side.getAttribute('aria-expanded') === 'false') await side.click();
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
    assert.equal(await b.getByRole('group', { name: 'Animation', exact: true }).count(), 0,
      'a guest has no facilitator controls');
    const sideB = b.getByRole('button', { name: 'Participants et discussion' });
    if (await sideB.getAttribute('aria-expanded') === 'false') await sideB.click();
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

  const ownNote = 'Repartir avec trois enjeux clairs';
  const editing = `${ownNote}, et précis`;
  await step('B\'s half-typed note, note edit and chat message survive a reload', async () => {
    const area = column(b, 'Vos attentes pour cet atelier').getByLabel('Nouvelle note', { exact: true });
    await area.fill('Une idée pas encore envoyée');
    const chat = b.locator('.board-side').getByLabel('Message', { exact: true });
    await chat.fill('Un message pas encore envoyé');
    await noteIn(b, ownNote).getByRole('button', { name: 'Modifier', exact: true }).click();
    await noteIn(b, ownNote).getByLabel('Texte de la note', { exact: true }).fill(editing);
    await b.reload();
    await phaseTitle(b, 'Phase 1 sur 6');
    assert.equal(await column(b, 'Vos attentes pour cet atelier').getByLabel('Nouvelle note', { exact: true }).inputValue(),
      'Une idée pas encore envoyée');
    assert.equal(await noteIn(b, ownNote).getByLabel('Texte de la note', { exact: true }).inputValue(), editing,
      'the note\'s editor is open again with what was typed');
    assert.equal(await b.locator('.board-side').getByLabel('Message', { exact: true }).inputValue(), 'Un message pas encore envoyé');
    await b.locator('.board-side').getByLabel('Message', { exact: true }).fill('');
  });

  await step('A changes the phase while B types in a note\'s editor: both texts are kept, and the focus goes to them', async () => {
    // B is typing in the editor (the focus there) when the phase changes.
    await noteIn(b, ownNote).getByLabel('Texte de la note', { exact: true }).focus();
    await gotoPhase(a, '3. Mise en commun et regroupement');
    await phaseTitle(b, 'Phase 3 sur 6 : Mise en commun et regroupement');
    const unsent = b.locator('main .board-unsent');
    await unsent.filter({ hasText: 'Une idée pas encore envoyée' }).waitFor();
    await unsent.filter({ hasText: editing }).filter({ hasText: 'note modifiée' }).waitFor();
    await b.waitForFunction(() => document.activeElement?.classList.contains('board-unsent'));
    await assertAxeClean(b, 'the board with texts kept after a phase change');
    for (let i = 0; i < 2; i += 1) {
      await unsent.getByRole('button', { name: 'Abandonner ce texte' }).first().click();
    }
    await unsent.waitFor({ state: 'hidden' });
    assert.notEqual(await b.evaluate(() => document.activeElement?.tagName), 'BODY', 'the focus is not lost');
    await postNote(b, 'Forces', 'Des MSP dynamiques');
    await noteIn(a, 'Des MSP dynamiques').waitFor();
  });

  await step('A starts the timer; B sees it running', async () => {
    const start = a.getByRole('button', { name: 'Démarrer', exact: true });
    const pause = a.getByRole('button', { name: 'Pause', exact: true });
    // Stopped: Pause would be refused, so it is not offered.
    assert.equal(await pause.isDisabled(), true, 'Pause is disabled while the timer is stopped');
    assert.equal(await start.isDisabled(), false);
    await start.click();
    // Running: Démarrer is disabled, Pause offered, and the focus went from one to the other.
    await a.waitForFunction(() => [...document.querySelectorAll('.board-bar-controls button')]
      .some((b) => b.textContent === 'Démarrer' && b.disabled));
    assert.equal(await pause.isDisabled(), false, 'Pause is offered while the timer runs');
    assert.equal(await a.evaluate(() => document.activeElement?.textContent), 'Pause', 'the focus moved to Pause');
    await b.waitForFunction(() => document.querySelector('main .timer-state')?.textContent === '');
    const first = await b.locator('main .timer-value').textContent();
    assert.match(first, /^\d+:\d{2}$/, `unexpected timer text "${first}"`);
    await b.waitForFunction((before) => {
      const el = document.querySelector('main .timer-value');
      return el && el.textContent !== before;
    }, first, { timeout: 4_000 });
  });

  await step('from the SWOT to the enjeux: B writes one beside the SWOT', async () => {
    await gotoPhase(a, '4. Des constats aux enjeux');
    await phaseTitle(b, 'Phase 4 sur 6 : Des constats aux enjeux');
    await noteIn(b, 'Des MSP dynamiques').waitFor();
    await postNote(b, 'Enjeux de santé', 'Un médecin traitant pour chaque patient en ALD');
    await noteIn(a, 'Un médecin traitant pour chaque patient en ALD').waitFor();
  });

  await step('vote phase: B votes on the enjeux; A sees who has voted, never on what', async () => {
    // B's focus is in a composer of the SWOT, which the vote does not show: the focus
    // goes to the new phase's title.
    await column(b, 'Forces').getByLabel('Nouvelle note', { exact: true }).focus();
    await gotoPhase(a, '5. Vote des enjeux prioritaires');
    await phaseTitle(b, 'Phase 5 sur 6 : Vote des enjeux prioritaires');
    await b.waitForFunction(() => document.activeElement?.matches('h2.board-phase-title'));
    await b.locator('main .votes-left').filter({ hasText: 'Votes restants : 3 sur 3' }).waitFor();
    // The facilitator sees how many of those here have voted (A and B): none yet.
    await voters(a, '0 / 2 ont voté');
    assert.equal(await b.locator('main .votes-voters:visible').count(), 0, 'only facilitators see who has voted');
    // Only the enjeux are voted on: the SWOT's notes are not on this board.
    assert.equal(await noteIn(b, 'Des MSP dynamiques').count(), 0);
    const noteB = noteIn(b, 'Un médecin traitant pour chaque patient en ALD');
    // Without votes, B's own note is B's to change.
    await noteB.getByRole('button', { name: 'Modifier', exact: true }).waitFor();
    // The vote button says how many votes are left.
    await noteB.getByRole('button', { name: 'Voter (3 votes restants)', exact: true }).click();
    await b.locator('main .votes-left').filter({ hasText: 'Votes restants : 2 sur 3' }).waitFor();
    await noteB.getByRole('button', { name: 'Voter (2 votes restants)', exact: true }).waitFor();
    await noteB.filter({ hasText: 'Votre vote : 1' }).waitFor();
    await voters(a, '1 / 2 a voté');
    // B uses the whole budget: the button says no vote is left (not « Plus de vote »).
    await noteB.getByRole('button', { name: 'Voter (2 votes restants)', exact: true }).click();
    await noteB.getByRole('button', { name: 'Voter (1 vote restant)', exact: true }).click();
    await noteB.getByRole('button', { name: 'Aucun vote restant', exact: true }).waitFor();
    await b.locator('main .votes-left').filter({ hasText: 'Votes restants : 0 sur 3' }).waitFor();
    await voters(a, '1 / 2 a voté');
    // Reloaded, the facilitator knows B voted, not how many times: B's retractions are
    // followed all the same (a fresh snapshot when it cannot tell).
    await a.reload();
    await waitStatus(a, /^Connecté/);
    await voters(a, '1 / 2 a voté');
    for (const left of [1, 2, 3]) {
      await noteB.getByRole('button', { name: 'Retirer mon vote', exact: true }).click();
      await b.locator('main .votes-left').filter({ hasText: `Votes restants : ${left} sur 3` }).waitFor();
    }
    await voters(a, '0 / 2 ont voté');
    await waitStatus(a, /^Connecté/);
    await noteB.getByRole('button', { name: 'Voter (3 votes restants)', exact: true }).click();
    await noteB.filter({ hasText: 'Votre vote : 1' }).waitFor();
    await voters(a, '1 / 2 a voté');
  });

  await step('during the vote, B\'s own note with votes keeps its text: no « Modifier » nor « Supprimer », said why; A may still', async () => {
    const noteB = noteIn(b, 'Un médecin traitant pour chaque patient en ALD');
    await noteB.locator('.note-frozen').filter({ hasText: 'Cette note a reçu des votes : elle ne change plus pendant le vote.' }).waitFor();
    assert.equal(await noteB.getByRole('button', { name: 'Modifier', exact: true }).count(), 0, 'no « Modifier » for B');
    assert.equal(await noteB.getByRole('button', { name: 'Supprimer', exact: true }).count(), 0, 'no « Supprimer » for B');
    const noteA = noteIn(a, 'Un médecin traitant pour chaque patient en ALD');
    await noteA.getByRole('button', { name: 'Modifier', exact: true }).waitFor();
    assert.equal(await noteA.locator('.note-frozen').count(), 0, 'the facilitator is not told so');
    await assertAxeClean(b, 'the vote with one\'s own note voted on');
  });

  await step('once A reveals the votes, the vote is closed: no vote button, no proxy vote, said in the bar', async () => {
    const noteB = noteIn(b, 'Un médecin traitant pour chaque patient en ALD');
    const noteA = noteIn(a, 'Un médecin traitant pour chaque patient en ALD');
    // The proxy vote is offered (in « Autres contrôles ») while the vote is open.
    const more = a.getByRole('button', { name: 'Autres contrôles', exact: true });
    if (await more.getAttribute('aria-expanded') === 'false') await more.click();
    const proxy = a.getByRole('form', { name: 'Vote par procuration' });
    await proxy.waitFor();
    await noteA.getByRole('button', { name: /^Voter \(/ }).waitFor();
    await a.getByRole('button', { name: 'Révéler les votes', exact: true }).click();
    await noteA.filter({ hasText: '1 vote' }).waitFor();
    await noteB.filter({ hasText: '1 vote' }).waitFor();
    await b.locator('main .board-phase-info').filter({ hasText: 'Votes révélés' }).waitFor();
    await b.locator('main .votes-left').filter({ hasText: /^Votes révélés\s:\sle vote est clos\.$/ }).waitFor();
    await a.locator('main .votes-left').filter({ hasText: /^Votes révélés\s:\sle vote est clos\.$/ }).waitFor();
    await proxy.waitFor({ state: 'hidden' });
    for (const page of [a, b]) {
      assert.equal(await page.locator('main li.note').getByRole('button', { name: /^(Voter|Aucun vote restant|Retirer mon vote)/ }).count(), 0,
        'no vote, « Aucun vote restant » nor « Retirer mon vote » once revealed');
    }
    // Revealed, the note may change again: the vote is over.
    await noteB.getByRole('button', { name: 'Modifier', exact: true }).waitFor();
    assert.equal(await noteB.locator('.note-frozen').count(), 0);
    // After a reload (a fresh snapshot: revealed_votes), still closed.
    await b.reload();
    await waitStatus(b, /^Connecté/);
    await b.locator('main .votes-left').filter({ hasText: /^Votes révélés\s:\sle vote est clos\.$/ }).waitFor();
    await noteB.filter({ hasText: '1 vote' }).waitFor();
    assert.equal(await b.locator('main li.note').getByRole('button', { name: /^(Voter|Aucun vote restant|Retirer mon vote)/ }).count(), 0,
      'no vote button after a reload');
    const sideB = b.getByRole('button', { name: 'Participants et discussion' });
    if (await sideB.getAttribute('aria-expanded') === 'false') await sideB.click();
    await more.click();
    await a.getByRole('region', { name: 'Autres contrôles d’animation' }).waitFor({ state: 'hidden' });
  });

  await step('A moves to the action plan; B sees the new phase', async () => {
    await gotoPhase(a, '6. Plan d\'action');
    await phaseTitle(b, 'Phase 6 sur 6 : Plan d\'action');
    await b.getByRole('heading', { name: 'Plan d’action', exact: true }).waitFor();
  });

  const actionForm = (page) => page.getByRole('form', { name: 'Ajouter une action' });
  const lockedReason = (page) => page.locator('.composer-reason').filter({ hasText: 'L’animateur a verrouillé le tableau' }).first();
  await step('an action refused (board locked) keeps what B typed, across a reload too; unlocked, it is added and the form empties', async () => {
    const form = actionForm(b);
    await form.getByLabel('Quoi', { exact: true }).fill('Réunir les pharmaciens du secteur');
    await form.getByLabel('Qui', { exact: true }).fill('Bruno');
    await form.getByLabel('Quand', { exact: true }).fill('2026-12-15');
    await a.getByRole('button', { name: 'Verrouiller le tableau' }).click();
    await lockedReason(b).waitFor();
    // Said once, in the bar (not again under it nor in every column); each composer names it.
    const saidLocked = await b.evaluate(() => [...document.querySelectorAll('main *')]
      .filter((el) => el.getClientRects().length && [...el.childNodes].some((n) => n.nodeType === 3 && /verrouillé/i.test(n.textContent)))
      .map((el) => (el.closest('.board-bar') ? 'bar' : el.className)));
    assert.deepEqual(saidLocked, ['bar'], `the lock is said once, in the bar: ${saidLocked}`);
    const barReasonId = await b.locator('.board-bar .composer-reason').getAttribute('id');
    for (const d of await b.locator('.board-column textarea').evaluateAll((list) => list.map((el) => el.getAttribute('aria-describedby')))) {
      assert.ok(d.split(' ').includes(barReasonId), `a composer names the bar's reason: ${d}`);
    }
    await form.getByRole('button', { name: 'Ajouter l’action' }).click();
    await form.getByRole('alert').filter({ hasText: /verrouillé/ }).waitFor();
    assert.equal(await form.getByLabel('Quoi', { exact: true }).inputValue(), 'Réunir les pharmaciens du secteur');
    assert.equal(await form.getByLabel('Qui', { exact: true }).inputValue(), 'Bruno');
    assert.equal(await form.getByLabel('Quand', { exact: true }).inputValue(), '2026-12-15');
    await b.reload();
    await phaseTitle(b, 'Phase 6 sur 6');
    await lockedReason(b).waitFor();
    assert.equal(await actionForm(b).getByLabel('Quoi', { exact: true }).inputValue(), 'Réunir les pharmaciens du secteur');
    assert.equal(await actionForm(b).getByLabel('Quand', { exact: true }).inputValue(), '2026-12-15');
    await a.getByRole('button', { name: 'Déverrouiller le tableau' }).click();
    await lockedReason(b).waitFor({ state: 'hidden' });
    await actionForm(b).getByRole('button', { name: 'Ajouter l’action' }).click();
    await a.getByRole('table', { name: 'Actions décidées' }).getByRole('row').filter({ hasText: 'Réunir les pharmaciens du secteur' }).waitFor();
    await b.waitForFunction(() => document.querySelector('main form[aria-label="Ajouter une action"] input[name="what"]').value === '');
    assert.equal(await actionForm(b).getByLabel('Qui', { exact: true }).inputValue(), '');
    assert.equal(await b.evaluate(() => Object.keys(sessionStorage).filter((k) => /^relais\.draft\.atelier\.\d+\.action$/.test(k)).length), 0,
      'the draft of the action goes once it is accepted');
  });

  await step('deleting an action asks first; cancelled, it stays', async () => {
    const extra = 'Action ajoutée pour être supprimée';
    await actionForm(b).getByLabel('Quoi', { exact: true }).fill(extra);
    await actionForm(b).getByRole('button', { name: 'Ajouter l’action' }).click();
    const rowOf = (page) => page.getByRole('table', { name: 'Actions décidées' }).getByRole('row').filter({ hasText: extra });
    await rowOf(a).waitFor();
    await rowOf(b).getByRole('button', { name: 'Supprimer', exact: true }).click();
    const dialog = b.getByRole('dialog', { name: 'Supprimer cette action ?' });
    await dialog.filter({ hasText: extra }).waitFor();
    await dialog.getByRole('button', { name: 'Annuler', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await b.waitForTimeout(300);
    assert.equal(await rowOf(a).count(), 1, 'cancelled: the action stays');
    await rowOf(b).getByRole('button', { name: 'Supprimer', exact: true }).click();
    await dialog.getByRole('button', { name: 'Supprimer', exact: true }).click();
    await rowOf(a).waitFor({ state: 'detached' });
  });

  const refusedText = 'Note refusée puis reprise';
  await step('a note refused on reconnecting (board locked meanwhile) is back in its composer and kept across a reload', async () => {
    offline = true;
    await contextB.setOffline(true);
    await waitStatus(b, /Hors ligne/);
    await postNote(b, 'Conditions de réussite', refusedText);
    await noteIn(b, refusedText).filter({ hasText: 'En attente d’envoi' }).waitFor();
    await a.getByRole('button', { name: 'Verrouiller le tableau' }).click();
    await contextB.setOffline(false);
    await waitStatus(b, /^Connecté$/);
    offline = false;
    const area = () => column(b, 'Conditions de réussite').getByLabel('Nouvelle note', { exact: true });
    await b.waitForFunction((text) => [...document.querySelectorAll('main textarea')].some((el) => el.value === text), refusedText);
    const draft = await b.evaluate(() => Object.entries(sessionStorage).filter(([k]) => k.startsWith('relais.draft.atelier.')).map(([, v]) => v).join(''));
    assert.ok(draft.includes(refusedText), `the refused note is kept as the draft too: ${draft}`);
    await b.reload();
    await phaseTitle(b, 'Phase 6 sur 6');
    await lockedReason(b).waitFor();
    assert.equal(await area().inputValue(), refusedText);
    await a.getByRole('button', { name: 'Déverrouiller le tableau' }).click();
    await lockedReason(b).waitFor({ state: 'hidden' });
    await area().press('Control+Enter');
    await noteIn(a, refusedText).waitFor();
    assert.equal(await area().inputValue(), '');
  });

  await step('on a phone (390 × 844) the bar is compact and keeps the phase and the timer; no « Ctrl+Entrée »', async () => {
    await b.setViewportSize({ width: 390, height: 844 });
    const bar = await b.evaluate(() => {
      const el = document.querySelector('.board-bar');
      const shown = (sel) => { const x = el.querySelector(sel); return Boolean(x && x.getClientRects().length && x.getBoundingClientRect().width > 1); };
      return { height: el.getBoundingClientRect().height, phase: shown('.board-phase-title'), timer: shown('.timer-value') };
    });
    assert.ok(bar.height <= 140, `the sticky bar takes ${bar.height}px of 844`);
    assert.ok(bar.phase && bar.timer, 'the phase and the timer stay in the bar');
    // The phase's state is said on a phone too (« Notes privées », « Mode anonyme »…).
    await b.locator('.board-bar .board-phase-info').filter({ hasText: 'Plan d’action' }).waitFor({ state: 'visible' });
    await assertNoOverflow(b);
    // Enlarged text (a phone's large-text setting): the bar wraps, the page does not scroll sideways.
    await b.evaluate(() => { document.documentElement.style.fontSize = '175%'; });
    await assertNoOverflow(b);
    await b.evaluate(() => { document.documentElement.style.fontSize = ''; });
    // No keyboard shortcut offered on a phone; the length limit in French digits.
    assert.equal(await b.getByText(/Ctrl\+Entrée/).count(), 0, 'no « Ctrl+Entrée » on a phone');
    await b.locator('.board-column.column-current .note-form .hint').filter({ hasText: /^1\u202F000 caractères au plus\.$/ }).waitFor();
    await b.setViewportSize({ width: 1280, height: 720 });
    await b.locator('.note-form .hint').filter({ hasText: 'Ctrl+Entrée pour envoyer' }).first().waitFor();
  });

  await step('on a phone (390 × 844) with the side panel open: the actions are cards, nothing wider than the screen', async () => {
    await b.setViewportSize({ width: 390, height: 844 });
    const sideB = b.getByRole('button', { name: 'Participants et discussion' });
    if (await sideB.getAttribute('aria-expanded') === 'false') await sideB.click();
    await b.getByRole('table', { name: 'Actions décidées' }).getByRole('row').filter({ hasText: 'Réunir les pharmaciens du secteur' }).waitFor();
    await assertNoOverflow(b);
    const sizes = await b.evaluate(() => {
      const wrap = document.querySelector('.board-actions-table');
      const out = (sel) => [...document.querySelectorAll(sel)].filter((el) => el.getClientRects().length)
        .map((el) => el.getBoundingClientRect().right).filter((right) => right > window.innerWidth + 0.5).length;
      return {
        scroll: wrap.scrollWidth, client: wrap.clientWidth,
        outside: out('main .board-actions-table button, .board-side .side-block, .board-retained, .reactions button, .chat-list'),
      };
    });
    assert.ok(sizes.scroll <= sizes.client, `the actions' table scrolls sideways (${sizes.scroll} px in ${sizes.client} px)`);
    assert.equal(sizes.outside, 0, 'every button and panel is within the screen');
    // The cards follow the report's order: Enjeu, Qui, Quoi, Quand.
    const heads = await b.getByRole('table', { name: 'Actions décidées' }).locator('thead th').allTextContents();
    assert.deepEqual(heads.map((x) => x.trim()), ['Qui', 'Quoi', 'Quand', 'Actions']);
    await assertAxeClean(b, 'the action plan on a phone with the side panel open');
    await b.setViewportSize({ width: 1280, height: 720 });
  });

  const sideToggleB = () => b.getByRole('button', { name: /^Participants et discussion/ });
  await step('on a phone, B\'s note added at the end of a long column is brought into view and said politely', async () => {
    await b.setViewportSize({ width: 390, height: 844 });
    if (await sideToggleB().getAttribute('aria-expanded') === 'true') await sideToggleB().click();
    await b.locator('.board-side').waitFor({ state: 'hidden' });
    for (let i = 1; i <= 14; i += 1) await postNote(a, 'Conditions de réussite', `Condition de remplissage ${i}`);
    // The column shown on the phone (the only one of this phase, or else its tab).
    const tab = b.locator('.column-tab', { hasText: 'Conditions de réussite' });
    if (await tab.count()) await tab.click();
    await noteIn(b, 'Condition de remplissage 14').waitFor({ state: 'attached' });
    await b.evaluate(() => window.scrollTo(0, 0));
    const own = 'Ma note, au bas d’une longue colonne';
    const current = b.locator('.board-column.column-current');
    await current.getByLabel('Nouvelle note', { exact: true }).fill(own);
    await current.getByRole('button', { name: 'Ajouter la note', exact: true }).click();
    await b.locator('[aria-live="polite"]').filter({ hasText: /^Votre note est ajoutée en bas de la colonne «\s?Conditions de réussite\s?»\.$/ })
      .waitFor({ state: 'attached' });
    // The ack and the room's event may come in either order: the acknowledged note is the
    // one drawn once both are in.
    await b.waitForFunction((text) => [...document.querySelectorAll('main li.note')]
      .some((el) => el.textContent.includes(text) && !el.classList.contains('note-pending')), own);
    const box = await b.locator('main li.note:not(.note-pending)', { hasText: own }).evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, height: window.innerHeight, pending: el.classList.contains('note-pending') };
    });
    assert.ok(!box.pending, 'the note shown is the acknowledged one');
    assert.ok(box.top >= 0 && box.bottom <= box.height, `the new note is in view (${box.top}–${box.bottom} of ${box.height} px)`);
    await b.setViewportSize({ width: 1280, height: 720 });
  });

  await step('on a phone, the side panel closed: A\'s message and reaction are counted on its toggle, until it is opened', async () => {
    await b.setViewportSize({ width: 390, height: 844 });
    const toggle = sideToggleB();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await toggle.getAttribute('aria-label'), 'Participants et discussion, avec les réactions');
    const badge = b.locator('.side-toggle-count');
    assert.equal(await badge.isVisible(), false, 'no badge before any news');
    const sideA = a.locator('.board-side');
    await sideA.getByLabel('Message', { exact: true }).fill('Le document est sur le partage');
    await sideA.getByRole('button', { name: 'Envoyer', exact: true }).click();
    await sideA.locator('.reactions button').first().click();
    await b.getByRole('button', { name: /^Participants et discussion\s?: 2 nouveaux, avec les réactions$/ }).waitFor();
    await badge.waitFor({ state: 'visible' });
    assert.equal((await badge.textContent()).trim(), '2');
    await assertNoOverflow(b);
    await assertAxeClean(b, 'the board on a phone with news in the closed side panel');
    await toggle.click();
    await badge.waitFor({ state: 'hidden' });
    assert.equal(await toggle.getAttribute('aria-label'), 'Participants et discussion, avec les réactions');
    await b.locator('.board-side .chat-list li').filter({ hasText: 'Le document est sur le partage' }).waitFor();
    await b.setViewportSize({ width: 1280, height: 720 });
  });

  await step('A leaves the board within the app and comes back, on the same socket', async () => {
    // A's page keeps one socket (it also serves the notification bell): leaving the
    // board leaves the room on it, coming back joins again on it.
    let opened = 0;
    const count = () => { opened += 1; };
    a.on('websocket', count);
    const presenceOfA = b.locator('main .presence-list li').filter({ hasText: ADMIN.name });
    await a.getByRole('link', { name: `Retour à l’atelier « ${WORKSHOP} »` }).click();
    await waitForPath(a, workshopPath);
    await presenceOfA.filter({ hasText: 'absent' }).waitFor();
    // The list is of everyone who came, with who is online: not « Présents ».
    const sideB = b.locator('.board-side');
    await sideB.getByRole('heading', { name: 'Participants', exact: true }).waitFor();
    await sideB.locator('.presence-count').filter({ hasText: '1 en ligne sur 2' }).waitFor();
    assert.equal(await sideB.getByRole('heading', { name: 'Présents' }).count(), 0);
    await a.getByRole('link', { name: 'Rejoindre le tableau', exact: true }).click();
    await waitForPath(a, `${workshopPath}/tableau`);
    await waitStatus(a, /^Connecté/);
    await phaseTitle(a, 'Phase 6 sur 6');
    await presenceOfA.filter({ hasText: 'en ligne' }).waitFor();
    a.off('websocket', count);
    assert.equal(opened, 0, 'A opened no new WebSocket');
  });

  await step('a second guest\'s action: B is offered « Supprimer » only on its own, after a reload too; A on every one', async () => {
    const { context: contextC, page: c } = await newPage();
    await watch(c, 'C', problems);
    await c.goto(inviteUrl);
    await c.getByLabel('Votre nom', { exact: true }).fill('Chloé');
    await c.getByRole('button', { name: 'Rejoindre l’atelier' }).click();
    await waitForPath(c, `${workshopPath}/tableau`);
    await waitStatus(c, /^Connecté/);
    const own = 'Réunir les pharmaciens du secteur';
    const theirs = 'Action proposée par Chloé';
    const row = (page, text) => page.getByRole('table', { name: 'Actions décidées' }).getByRole('row').filter({ hasText: text });
    // Added by C and not yet in any snapshot of C's: C's all the same (the event's `by`).
    await actionForm(c).getByLabel('Quoi', { exact: true }).fill(theirs);
    await actionForm(c).getByRole('button', { name: 'Ajouter l’action' }).click();
    await row(c, theirs).getByRole('button', { name: 'Supprimer', exact: true }).waitFor();
    assert.equal(await row(c, own).getByRole('button').count(), 0, 'C may not change B\'s action');
    await row(b, theirs).waitFor();
    for (const reloaded of [false, true]) {
      if (reloaded) {
        await b.reload();
        await waitStatus(b, /^Connecté/);
        await row(b, theirs).waitFor();
      }
      await row(b, own).getByRole('button', { name: 'Supprimer', exact: true }).waitFor();
      await row(b, own).getByRole('button', { name: /^Modifier/ }).waitFor();
      assert.equal(await row(b, theirs).getByRole('button').count(), 0,
        `no « Modifier » nor « Supprimer » on another participant's action${reloaded ? ' after a reload' : ''}`);
    }
    await assertAxeClean(b, 'the action plan with another participant\'s action');
    await row(a, theirs).getByRole('button', { name: 'Supprimer', exact: true }).waitFor();
    await row(a, own).getByRole('button', { name: 'Supprimer', exact: true }).waitFor();
    // C, after a reload (the snapshot's `mine`), deletes its own action.
    await c.reload();
    await waitStatus(c, /^Connecté/);
    await row(c, theirs).getByRole('button', { name: 'Supprimer', exact: true }).click();
    await c.getByRole('dialog', { name: 'Supprimer cette action ?' }).getByRole('button', { name: 'Supprimer', exact: true }).click();
    await row(a, theirs).waitFor({ state: 'detached' });
    await row(b, theirs).waitFor({ state: 'detached' });
    await contextC.close();
  });

  const facilitatorOffline = 'Note de l’animatrice hors ligne';
  await step('leaving the board with a change unsent asks first; cancelled, the change goes once back online', async () => {
    offline = true;
    await contextA.setOffline(true);
    await waitStatus(a, /Hors ligne/);
    await postNote(a, 'Conditions de réussite', facilitatorOffline);
    await noteIn(a, facilitatorOffline).filter({ hasText: 'En attente d’envoi' }).waitFor();
    await a.getByRole('link', { name: `Retour à l’atelier « ${WORKSHOP} »` }).click();
    const ask = a.getByRole('dialog', { name: 'Quitter sans enregistrer ?' });
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Annuler', exact: true }).click();
    assert.equal(pathOf(a), `${workshopPath}/tableau`);
    await contextA.setOffline(false);
    await waitStatus(a, /^Connecté/);
    offline = false;
    await noteIn(b, facilitatorOffline).waitFor();
  });

  const offlineText = 'Note écrite hors ligne';
  await step('offline, B\'s note is kept as pending and the banner says "Hors ligne"', async () => {
    offline = true;
    await contextB.setOffline(true);
    await waitStatus(b, /Hors ligne/);
    await postNote(b, 'Conditions de réussite', offlineText);
    const pending = noteIn(b, offlineText);
    await pending.filter({ hasText: 'En attente d’envoi' }).waitFor();
    assert.ok(await pending.evaluate((el) => el.classList.contains('note-pending')), 'the note is marked pending');
    assert.match(await liveStatus(b).textContent(), /Hors ligne.*1 modification en attente/);
    // A chat message sent offline waits in the list, said to be waiting.
    const side = b.locator('.board-side');
    await side.getByLabel('Message', { exact: true }).fill('Message envoyé hors ligne');
    await side.getByRole('button', { name: 'Envoyer', exact: true }).click();
    await side.locator('.chat-list li').filter({ hasText: 'Message envoyé hors ligne' }).filter({ hasText: 'En attente d’envoi' }).waitFor();
    // Still offline after a moment: nothing reached A.
    await a.waitForTimeout(500);
    assert.equal(await noteIn(a, offlineText).count(), 0, 'the note must not reach A while B is offline');
  });

  await step('back online, the note reaches A exactly once', async () => {
    await contextB.setOffline(false);
    await waitStatus(b, /^Connecté$/);
    offline = false;
    await noteIn(a, offlineText).waitFor();
    await noteIn(b, offlineText).filter({ hasNotText: 'En attente' }).waitFor();
    await a.waitForTimeout(1_000);
    assert.equal(await noteIn(a, offlineText).count(), 1, 'A must see the note once');
    assert.equal(await noteIn(b, offlineText).count(), 1, 'B must see the note once');
    await a.locator('.chat-list li').filter({ hasText: 'Message envoyé hors ligne' }).waitFor();
    await b.locator('.chat-list li').filter({ hasText: 'Message envoyé hors ligne' }).filter({ hasNotText: 'En attente' }).waitFor();
    assert.equal(await a.locator('.chat-list li').filter({ hasText: 'Message envoyé hors ligne' }).count(), 1);
    assert.equal(await b.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('relais.outbox')).length),
      0, 'the outbox in localStorage is empty once acknowledged');
  });

  await step('an edit made offline shows at once; a second one chains on it, without a conflict', async () => {
    const initial = 'Note à reprendre hors ligne';
    const first = 'Première modification hors ligne';
    const second = 'Deuxième modification hors ligne';
    await postNote(b, 'Conditions de réussite', initial);
    await noteIn(a, initial).waitFor();
    await noteIn(b, initial).filter({ hasNotText: 'En attente' }).getByRole('button', { name: 'Modifier', exact: true }).waitFor();
    offline = true;
    await contextB.setOffline(true);
    await waitStatus(b, /Hors ligne/);
    await noteIn(b, initial).getByRole('button', { name: 'Modifier', exact: true }).click();
    await noteIn(b, initial).getByLabel('Texte de la note', { exact: true }).fill(first);
    await noteIn(b, initial).getByRole('button', { name: 'Enregistrer', exact: true }).click();
    // The note shows the text waiting to be sent.
    await noteIn(b, first).filter({ hasText: 'modification en attente d’envoi' }).waitFor();
    await noteIn(b, first).getByRole('button', { name: 'Modifier', exact: true }).click();
    assert.equal(await noteIn(b, first).getByLabel('Texte de la note', { exact: true }).inputValue(), first,
      'the second edit starts from the first');
    await noteIn(b, first).getByLabel('Texte de la note', { exact: true }).fill(second);
    await noteIn(b, first).getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await noteIn(b, second).filter({ hasText: 'modification en attente d’envoi' }).waitFor();
    await contextB.setOffline(false);
    await waitStatus(b, /^Connecté$/);
    offline = false;
    await noteIn(a, second).waitFor();
    await noteIn(b, second).filter({ hasNotText: 'en attente' }).waitFor();
    await b.waitForTimeout(500);
    assert.equal(await b.locator('.note-conflict').count(), 0, 'no conflict with oneself');
    assert.equal((await b.locator('.board-bar .live-error').textContent()).trim(), '', 'no error');
  });

  await step('an edit whose note is deleted meanwhile: the text typed is offered back, to reuse', async () => {
    const doomed = 'Note bientôt supprimée';
    const typed = 'Texte tapé pendant la suppression';
    await postNote(b, 'Conditions de réussite', doomed);
    await noteIn(a, doomed).waitFor();
    await noteIn(b, doomed).filter({ hasNotText: 'En attente' }).getByRole('button', { name: 'Modifier', exact: true }).click();
    await noteIn(b, doomed).getByLabel('Texte de la note', { exact: true }).fill(typed);
    await noteIn(a, doomed).getByRole('button', { name: 'Supprimer', exact: true }).click();
    await a.getByRole('dialog').getByRole('button', { name: 'Supprimer', exact: true }).click();
    const unsent = b.locator('main .board-unsent');
    await unsent.filter({ hasText: 'La note que vous modifiiez a été supprimée' }).filter({ hasText: typed }).waitFor();
    await unsent.getByRole('button', { name: 'Reprendre dans une nouvelle note', exact: true }).click();
    const area = column(b, 'Conditions de réussite').getByLabel('Nouvelle note', { exact: true });
    assert.equal(await area.inputValue(), typed);
    await unsent.waitFor({ state: 'hidden' });
    await area.fill('');
  });

  await step('an edit conflict: the facilitator\'s editor shows the current text and keeps the focus', async () => {
    const noteA = noteIn(a, offlineText);
    await noteA.getByRole('button', { name: 'Modifier', exact: true }).click();
    const areaA = noteA.getByLabel('Texte de la note', { exact: true });
    await areaA.fill(`${offlineText}, relue par l’animatrice`);
    // Meanwhile its author changes it.
    const noteB = noteIn(b, offlineText);
    await noteB.getByRole('button', { name: 'Modifier', exact: true }).click();
    await noteB.getByLabel('Texte de la note', { exact: true }).fill(`${offlineText}, précisée`);
    await noteB.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await noteIn(a, `${offlineText}, précisée`).waitFor();
    await noteA.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await a.locator('.note-conflict').filter({ hasText: `${offlineText}, précisée` }).waitFor();
    await a.waitForFunction(() => document.activeElement?.matches('.note-editor textarea'));
    assert.equal(await a.evaluate(() => document.activeElement.value), `${offlineText}, relue par l’animatrice`);
    // Escape cancels the edit: the note stays as its author left it.
    await a.keyboard.press('Escape');
    await noteA.getByRole('button', { name: 'Modifier', exact: true }).waitFor();
  });

  await step('Escape closes « Autres contrôles » and the side panel, back on their toggles', async () => {
    const more = a.getByRole('button', { name: 'Autres contrôles', exact: true });
    if (await more.getAttribute('aria-expanded') === 'false') await more.click();
    const panel = a.getByRole('region', { name: 'Autres contrôles d’animation' });
    await panel.getByRole('button', { name: 'Réinitialiser', exact: true }).focus();
    await a.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    assert.equal(await more.getAttribute('aria-expanded'), 'false');
    assert.equal(await a.evaluate(() => document.activeElement?.textContent), 'Autres contrôles');
    const side = a.getByRole('button', { name: 'Participants et discussion' });
    if (await side.getAttribute('aria-expanded') === 'false') await side.click();
    await a.locator('.board-side').getByLabel('Message', { exact: true }).focus();
    await a.keyboard.press('Escape');
    await a.locator('.board-side').waitFor({ state: 'hidden' });
    assert.equal(await side.getAttribute('aria-expanded'), 'false');
    assert.equal(await a.evaluate(() => document.activeElement?.textContent), 'Participants et discussion');
    await side.click();
  });

  const storedText = 'Note gardée après la fermeture de l’onglet';
  await step('a note written offline: leaving asks first; it survives closing the tab (localStorage) and arrives once', async () => {
    offline = true;
    await contextB.setOffline(true);
    await waitStatus(b, /Hors ligne/);
    await postNote(b, 'Conditions de réussite', storedText);
    await noteIn(b, storedText).filter({ hasText: 'En attente d’envoi' }).waitFor();
    const stored = await b.evaluate(() => Object.entries(localStorage)
      .filter(([k]) => /^relais\.outbox\.\d+\.g:/.test(k)).map(([, v]) => v).join(''));
    assert.ok(stored.includes(storedText), 'the pending operation is kept in localStorage, per workshop and person');
    // Leaving the page asks first (the browser's own prompt).
    const boardUrl = b.url();
    let asked = '';
    b.once('dialog', (dialog) => {
      asked = dialog.type();
      dialog.accept();
    });
    await b.goto('about:blank');
    assert.equal(asked, 'beforeunload', 'leaving with a change unsent asks first');
    // The tab is closed; back online, a new tab finds the operation and sends it.
    await b.close();
    b = await contextB.newPage();
    b.setDefaultTimeout(STEP_TIMEOUT_MS);
    await watch(b, 'B', problems);
    await contextB.setOffline(false);
    offline = false;
    await b.goto(boardUrl);
    await waitStatus(b, /^Connecté$/);
    await phaseTitle(b, 'Phase 6 sur 6');
    await noteIn(a, storedText).waitFor();
    await noteIn(b, storedText).filter({ hasNotText: 'En attente' }).waitFor();
    await a.waitForTimeout(1_000);
    assert.equal(await noteIn(a, storedText).count(), 1, 'A must see the note once');
    assert.equal(await noteIn(b, offlineText).count(), 1, 'B sees the earlier note once after the reload');
  });

  await step('« Quitter l’atelier » asks the guest first, saying they would come back as someone new', async () => {
    await b.getByRole('button', { name: 'Quitter l’atelier', exact: true }).click();
    const ask = b.getByRole('dialog', { name: 'Quitter l’atelier ?' });
    await ask.filter({ hasText: 'nouvelle personne' }).waitFor();
    await ask.getByRole('button', { name: 'Annuler', exact: true }).click();
    await ask.waitFor({ state: 'hidden' });
    assert.equal(pathOf(b), `${workshopPath}/tableau`);
    await waitStatus(b, /^Connecté$/);
  });

  await step('A closes the workshop; the report is shown, B is told the workshop is closed', async () => {
    await a.goto(`${base}${workshopPath}`);
    await heading(a, WORKSHOP);
    await a.getByRole('button', { name: 'Clore', exact: true }).click();
    await a.getByRole('dialog').getByRole('button', { name: 'Clore', exact: true }).click();
    await a.locator('main .workshop-state-line').filter({ hasText: 'Clos' }).waitFor();
    await b.locator('main .board-hint').filter({ hasText: 'clos' }).waitFor();
    // B, a participant: nothing offered that would be refused, the closure said once.
    await actionForm(b).waitFor({ state: 'hidden' });
    const table = b.getByRole('table', { name: 'Actions décidées' });
    await table.getByRole('row').filter({ hasText: 'Réunir les pharmaciens du secteur' }).waitFor();
    assert.equal(await table.getByRole('button').count(), 0, 'no « Modifier » nor « Supprimer » on the actions');
    await b.locator('.board-bar .timer').waitFor({ state: 'hidden' });
    assert.equal(await b.getByRole('button', { name: 'Signal sonore à 0:00' }).count(), 0, 'no sound toggle');
    const saidClosed = await b.evaluate(() => [...document.querySelectorAll('main *')]
      .filter((el) => el.getClientRects().length && [...el.childNodes].some((n) => n.nodeType === 3 && /L’atelier est clos/.test(n.textContent))).length);
    assert.equal(saidClosed, 1, 'the closure is said once');
    await a.getByRole('link', { name: 'Compte rendu', exact: true }).click();
    await waitForPath(a, `${workshopPath}/compte-rendu`);
    await heading(a, /^Compte rendu — /);
    await a.locator('main .report h2').first().waitFor();
    assert.ok(await a.locator('main .report').getByText('Des MSP dynamiques').count() > 0,
      'the report mentions the notes of the board');
    await a.getByRole('link', { name: 'Plan d’action (CSV)' }).waitFor();
    // The SWOT has no indicators: their export would be a header alone.
    assert.equal(await a.getByRole('link', { name: 'Indicateurs (CSV)' }).count(), 0, 'no indicators export without indicators');
  });

  await step('the closed board offers the facilitator no control that would be refused', async () => {
    await a.goto(`${base}${workshopPath}/tableau`);
    await waitStatus(a, /^Connecté/);
    await a.locator('main .board-hint').filter({ hasText: 'clos' }).waitFor();
    await a.getByRole('group', { name: 'Animation', exact: true }).waitFor({ state: 'hidden' });
    for (const name of ['Démarrer', 'Pause', '+1 min', 'Aller à la phase']) {
      assert.equal(await a.locator('.board-bar-controls button').filter({ hasText: name }).first().isDisabled(), true, `${name} is disabled`);
    }
    assert.equal(await a.getByRole('button', { name: 'Réinitialiser' }).count(), 0, 'the other controls are not offered');
    await assertAxeClean(a, 'the closed board of a facilitator');
  });

  await step('B signs out elsewhere: its open board is closed at once and says access ended', async () => {
    signedOut = true;
    const status = await b.evaluate(async () => (await fetch('/api/invites/session', { method: 'DELETE' })).status);
    assert.equal(status, 204);
    // Told why, in the bar; the board stays readable, read-only, each composer saying so.
    await b.locator('.board-bar .board-ended').filter({ hasText: 'Votre accès à cet atelier a pris fin. Le tableau reste affiché en lecture seule.' })
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    await b.locator('.composer-reason').filter({ hasText: 'Votre accès a pris fin : le tableau est en lecture seule.' }).first().waitFor();
    // The server's reason is said; the guest is not called an observer.
    await b.locator('.board-bar .board-ended').filter({ hasText: 'Vous avez quitté l’atelier.' }).waitFor();
    assert.equal(await b.getByText('Vous suivez l’atelier en observateur').count(), 0, 'not « en observateur »');
  });

  await step('no console error and no CSP violation', async () => {
    assertNoProblems(problems);
  });
}

runTest({ name: 'workshop_live.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
