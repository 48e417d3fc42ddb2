#!/usr/bin/env node
// Browser test of the notifications and of the administrator's background pages, on a
// 390 px wide screen: the bell counts the notices of an administrator live as a member
// submits library fiches (through the API, from another context); the notifications
// page lists them, follows one (which reads it), marks them all read, pages with
// « Voir plus », and says what will appear when there is nothing; a read in another
// tab lowers the bell at once; one WebSocket serves the whole visit; the jobs page
// lists mail.send and runs it; the e-mail page says mail is not configured.
//
// Usage: node notifications.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  STEP_TIMEOUT_MS, addUser, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, runTest, signIn, startServer, state, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Admin', password: 'correct horse battery' };
const MEMBER = { email: 'camille@test.fr', name: 'Camille Coordinatrice', password: 'camille mot de passe' };
const PAGE_SIZE = 50; // the server's page of notices

async function run(relais) {
  const dataDir = await makeDataDir('relais-notifications-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  await addUser(relais, dataDir, MEMBER, 'membre');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);

  const browser = await launchBrowser();
  const problems = [];
  // The administrator on a phone-sized screen.
  const adminContext = await browser.newContext({ locale: 'fr-FR', viewport: { width: 390, height: 844 } });
  const page = await adminContext.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watchPage(page, problems, { who: 'admin', allow: (text, where) => isExpected401(text, where, ['/api/me']) });
  let sockets = 0;
  let welcomes = 0;
  page.on('websocket', (ws) => {
    sockets += 1;
    ws.on('framereceived', (f) => { if (String(f.payload).includes('"type":"welcome"')) welcomes += 1; });
  });

  // The member works through the API (cookies of their own context, the Origin the
  // server requires of every write).
  const memberContext = await state.browser.newContext({ locale: 'fr-FR', viewport: { width: 390, height: 844 } });
  const memberApi = memberContext.request;
  const post = async (apiContext, path, data) => {
    const response = await apiContext.post(`${base}${path}`, { data, headers: { Origin: base } });
    assert.ok(response.ok(), `POST ${path}: ${response.status()} ${await response.text()}`);
    return response.json();
  };
  let fiches = 0;
  const submitFiche = async () => {
    fiches += 1;
    const title = `Témoignage numéro ${fiches} de la CPTS du Ternois`;
    const { item } = await post(memberApi, '/api/library/items', {
      kind: 'temoignage', title, summary: `Résumé ${fiches}.`, body: `Texte du témoignage ${fiches}.`,
    });
    return { id: item.id, title };
  };

  const nav = page.getByRole('navigation', { name: 'Navigation principale' });
  const bell = nav.getByRole('link', { name: /^Notifications/ });
  const bellNamed = async (name) => {
    await nav.getByRole('link', { name, exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
  };

  await step('the administrator signs in: the bell is in the navigation, nothing unread', async () => {
    await signIn(page, base, ADMIN);
    await heading(page, ADMIN.name);
    await bellNamed('Notifications');
    assert.equal(await bell.locator('.bell-count').isVisible(), false, 'no badge while nothing is unread');
    assert.equal(await nav.getByRole('link', { name: /^À relire/ }).count(), 0, 'nothing waits for review');
    await post(memberApi, '/api/session', { email: MEMBER.email, password: MEMBER.password });
    // The bell listens on the page's socket from the start.
    for (let i = 0; welcomes === 0; i += 1) {
      assert.ok(i < 100, 'the page opened no WebSocket');
      await page.waitForTimeout(100);
    }
  });

  const first = { id: 0, title: '' };
  await step('a fiche submitted by a member raises the bell live, without reloading', async () => {
    await page.evaluate(() => { window.sameDocument = true; });
    Object.assign(first, await submitFiche());
    await bellNamed('Notifications (1 notification non lue)');
    assert.equal((await bell.locator('.bell-count').textContent()).trim(), '1');
    await submitFiche();
    await bellNamed('Notifications (2 notifications non lues)');
    assert.equal((await bell.locator('.bell-count').textContent()).trim(), '2');
    // A reviewer sees how many fiches wait for review, beside the library.
    await bellNamed('À relire (2 fiches attendent une relecture)');
    assert.equal((await nav.locator('.review-count').textContent()).trim(), '2');
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the page was not reloaded');
  });

  const notice = (title) => page.locator('main li.notice').filter({ hasText: title });
  await step('the notifications page lists the notices, newest first, unread', async () => {
    await bell.click();
    await waitForPath(page, '/notifications');
    await heading(page, /^Notifications$/);
    assert.equal(await bell.getAttribute('aria-current'), 'page');
    // The lead says what notices are about now: the library, needs, the watch, expertises.
    assert.match(await page.locator('main .lead').first().textContent(),
      /fiches de la bibliothèque.*besoins d’appui.*champs de veille.*expertises à reconfirmer/u);
    const items = page.locator('main li.notice');
    assert.equal(await items.count(), 2);
    assert.match(await items.nth(0).textContent(), /numéro 2/, 'the newest notice comes first');
    for (let i = 0; i < 2; i += 1) {
      const text = await items.nth(i).textContent();
      assert.match(text, /Non lue/);
      assert.match(text, /Fiche à relire/);
      assert.match(text, new RegExp(MEMBER.name), 'the notice says who submitted the fiche');
      assert.match(text, /à l’instant|il y a \d+ minute/, `a French relative date: ${text}`);
      assert.match(text, /\d{1,2}(er)? [a-zéû]+ \d{4} à \d{2}:\d{2}/, `an absolute date: ${text}`);
    }
    await page.getByText('2 notifications non lues', { exact: true }).waitFor();
    await assertNoOverflow(page);
  });

  await step('following a notice opens the fiche and reads the notice', async () => {
    await notice(first.title).getByRole('link').click();
    await waitForPath(page, `/bibliotheque/${first.id}`);
    await heading(page, first.title);
    await bellNamed('Notifications (1 notification non lue)');
    await page.goBack();
    await waitForPath(page, '/notifications');
    await notice(first.title).waitFor();
    assert.doesNotMatch(await notice(first.title).textContent(), /Non lue/, 'the followed notice is read');
    assert.match(await notice('numéro 2').textContent(), /Non lue/, 'the other one is still unread');
  });

  await step('« Marquer comme lue » reads one notice and keeps the keyboard in it', async () => {
    const button = notice('numéro 2').getByRole('button', { name: /^Marquer comme lue/ });
    await button.focus();
    await page.keyboard.press('Enter');
    await bellNamed('Notifications');
    await page.getByText('Aucune notification non lue.', { exact: true }).waitFor();
    assert.equal(await page.evaluate(() => Boolean(document.activeElement?.closest('li.notice'))), true,
      'the focus stays on the notice');
  });

  await step('a notice arriving while the page is open appears at the top', async () => {
    const third = await submitFiche();
    await bellNamed('Notifications (1 notification non lue)');
    await page.locator('main li.notice').first().filter({ hasText: third.title }).waitFor();
    await page.getByRole('status').filter({ hasText: 'De nouvelles notifications' }).waitFor();
  });

  await step('« Tout marquer comme lu » reads everything', async () => {
    await page.getByRole('button', { name: 'Tout marquer comme lu' }).click();
    await bellNamed('Notifications');
    await page.getByRole('status').filter({ hasText: 'Toutes vos notifications sont marquées comme lues.' }).waitFor();
    assert.equal(await page.locator('main li.notice-unread').count(), 0);
  });

  await step('read in another tab: the bell goes down at once', async () => {
    await page.goto(`${base}/`);
    await heading(page, ADMIN.name);
    await submitFiche();
    await bellNamed('Notifications (1 notification non lue)');
    // Another tab of the same person: the same cookies, through the API.
    await post(page.request, '/api/notifications/read', { all: true });
    await bellNamed('Notifications');
  });

  await step('« Voir plus » loads the older notices after the first 50', async () => {
    const before = fiches;
    for (let i = 0; i < PAGE_SIZE + 2 - before; i += 1) await submitFiche();
    await bellNamed(`Notifications (${PAGE_SIZE + 2 - before} notifications non lues)`);
    await bell.click();
    await waitForPath(page, '/notifications');
    await heading(page, /^Notifications$/);
    const items = page.locator('main li.notice');
    assert.equal(await items.count(), PAGE_SIZE);
    await page.getByRole('button', { name: 'Voir plus' }).click();
    await page.locator('main li.notice').nth(PAGE_SIZE + 1).waitFor();
    assert.equal(await items.count(), fiches, 'every notice is listed once');
    assert.equal(await page.getByRole('button', { name: 'Voir plus' }).count(), 0, 'nothing more to load');
    assert.match(await items.last().textContent(), /numéro 1 de/, 'the oldest notice is last');
    assert.equal(await page.evaluate(() => {
      const li = document.activeElement?.closest('li.notice');
      return li ? [...li.parentElement.children].indexOf(li) : -1;
    }), PAGE_SIZE, 'the focus moves to the first of the older notices');
    await assertNoOverflow(page);
  });

  await step('one WebSocket served the whole visit (one per loaded document)', async () => {
    // Signed-in documents loaded: after signing in, and "/" (goto); the navigations in
    // between (fiche, notifications, back) kept the socket.
    assert.equal(sockets, 2, `${sockets} WebSockets were opened`);
  });

  await step('a person with no notice is told what will appear there', async () => {
    const member = await memberContext.newPage();
    member.setDefaultTimeout(STEP_TIMEOUT_MS);
    await watchPage(member, problems, { who: 'member' });
    await member.goto(`${base}/notifications`);
    await heading(member, /^Notifications$/);
    await member.getByRole('heading', { name: 'Aucune notification pour l’instant' }).waitFor();
    await member.getByText(/attendra votre relecture.*sera publiée/).waitFor();
    assert.equal(await member.getByRole('button', { name: 'Tout marquer comme lu' }).isVisible(), false);
    await assertNoOverflow(member);
    await member.close();
  });

  await step('« Tâches planifiées » lists mail.send and runs it on demand', async () => {
    await nav.getByRole('button', { name: 'Menu' }).click();  // a phone: the menu is folded
    await nav.getByRole('link', { name: 'Tâches planifiées', exact: true }).click();
    await waitForPath(page, '/admin/taches');
    await heading(page, /^Tâches planifiées$/);
    const table = page.getByRole('table', { name: 'Tâches' });
    const row = table.getByRole('row').filter({ hasText: 'mail.send' });
    await row.waitFor();
    assert.match(await row.textContent(), /Envoi des e-mails en attente/);
    assert.match(await row.textContent(), /Toutes les minutes/);
    const runs = async () => Number((await row.locator('td.cell-number span[aria-hidden]').textContent()).split('/')[0]);
    const before = await runs();
    await row.getByRole('button', { name: 'Lancer maintenant : Envoi des e-mails en attente' }).click();
    await page.getByRole('status').filter({ hasText: 'est demandée' }).waitFor();
    await page.waitForFunction(async (n) => {
      const cell = [...document.querySelectorAll('main tr[data-key="mail.send"] td.cell-number span[aria-hidden]')][0];
      return cell && Number(cell.textContent.split('/')[0]) > n;
    }, before, { timeout: STEP_TIMEOUT_MS });
    await table.getByRole('columnheader', { name: 'Prochaine exécution' }).waitFor();
    await assertNoOverflow(page);
  });

  await step('« Envoi des e-mails » says mail is not configured, and what waits', async () => {
    await nav.getByRole('button', { name: 'Menu' }).click();
    await nav.getByRole('link', { name: 'Envoi des e-mails', exact: true }).click();
    await waitForPath(page, '/admin/e-mails');
    await heading(page, /^Envoi des e-mails$/);
    await page.getByText(/n’est pas configuré/).waitFor();
    // No server.public_url in this run: the page says the links could not be followed.
    await page.getByText('Les liens des e-mails ne pourront pas être suivis.').waitFor();
    await page.getByText(/smtp_host/).first().waitFor();
    const pending = Number(await page.locator('main .mail-count-pending dd').textContent());
    assert.ok(pending >= fiches, `the notices' e-mails wait in the outbox (${pending})`);
    await page.getByRole('table', { name: /Derniers problèmes d’envoi/ }).getByText('Aucun problème d’envoi.').waitFor();
    await assertNoOverflow(page);
  });

  await step('signing out closes the socket without a failed reconnection', async () => {
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await waitForPath(page, '/connexion');
    await page.waitForTimeout(1_500); // a reconnection would have failed by now
    assert.equal(await nav.count(), 0);
    assertNoProblems(problems);
  });
}

runTest({ name: 'notifications.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
