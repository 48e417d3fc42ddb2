#!/usr/bin/env node
// Browser test of the Relais web front end: sign-in, navigation, account page,
// user administration, keyboard access, CSP cleanliness, sign-out.
//
// Usage: node login_navigate.mjs /path/to/relais
//
// Starts a real server on a fresh data directory (127.0.0.1, random port) and drives
// Debian's Chromium (/usr/bin/chromium) through playwright-core. Exits 0 when every
// step passes, 1 on the first failure (printing what failed), 2 on bad usage.
// The server is stopped and the data directory removed in every case (harness.mjs).

import assert from 'node:assert/strict';
import {
  addUser, assertAxeClean, assertMessageInView, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, newPage, pathOf,
  runTest, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 90_000;

const ADMIN = { email: 'admin@test.fr', name: 'Alice Admin', password: 'correct horse battery' };
const MEMBER = { email: 'bruno@test.fr', name: 'Bruno Membre', password: 'bruno mot de passe' };

// Network errors Chromium logs to the console for answers the app expects:
// GET /api/me before signing in and POST /api/session with a wrong password.
const EXPECTED_401 = ['/api/me', '/api/session'];

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
  const dataDir = await makeDataDir('relais-browser-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);

  await launchBrowser();
  const { page } = await newPage();

  // Console errors, uncaught exceptions, CSP violations and server errors.
  const problems = [];
  await watchPage(page, problems, { allow: (text, where) => isExpected401(text, where, EXPECTED_401) });

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
    assert.equal(await page.locator('main .card').count(), 5, 'the home page shows a card per area (5)');
    assert.ok(await focusedIsHeading(page), 'focus must move to the page heading');
    // An administrator's first steps, while mail is not configured: this account already
    // has its own address and a password of its own (`relais user add`): two done.
    const steps = page.getByRole('region', { name: 'Premiers pas de l’administrateur' });
    await steps.getByRole('link', { name: /Configurer l’envoi des e-mails/ }).waitFor();
    assert.equal(await steps.locator('li.step-done').count(), 2);
    assert.equal(await page.getByText(/Votre mot de passe a été choisi par quelqu’un d’autre/).count(), 0);
  });

  const nav = page.getByRole('navigation', { name: 'Navigation principale' });
  const areas = [
    { link: 'Ateliers', path: '/ateliers', h1: /^Ateliers$/, text: /Mes ateliers/ },
    { link: 'Bibliothèque', path: '/bibliotheque', h1: /^Bibliothèque$/, text: /Rechercher dans la bibliothèque/ },
    { link: 'Veille', path: '/veille', h1: /^Veille$/, text: /Couverture du réseau/ },
    { link: 'Expertises', path: '/expertises', h1: /^Expertises$/, text: /Rechercher une personne ou une expertise/ },
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

  await step('on a phone, « Enregistrer le nom » confirms in view, beside the form; the next action clears it', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const form = page.getByRole('form', { name: 'Changer mon nom affiché' });
    await form.getByRole('button', { name: 'Enregistrer le nom' }).click();
    await assertMessageInView(page, 'Votre nom affiché a été mis à jour.');
    await assertAxeClean(page, 'the account page with a confirmation, on a phone');
    await assertNoOverflow(page);
    // The password form sent empty: its own error, and no old success message beside it.
    await page.getByRole('form', { name: 'Changer mon mot de passe' }).getByRole('button', { name: 'Changer le mot de passe' }).click();
    await page.getByRole('form', { name: 'Changer mon mot de passe' }).getByRole('alert').filter({ hasText: /Mot de passe actuel/ }).waitFor();
    assert.equal(await page.locator('#statut').textContent(), '');
    assert.equal(await page.locator('.status-echo').count(), 0);
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  await step('an administrator creates the user "Bruno Membre"', async () => {
    await nav.getByRole('link', { name: 'Utilisateurs', exact: true }).click();
    await waitForPath(page, '/admin/utilisateurs');
    await heading(page, /^Utilisateurs$/);
    const table = page.locator('main table');
    await table.getByRole('row').filter({ hasText: ADMIN.email }).waitFor();

    const form = page.getByRole('form', { name: 'Créer un compte' });
    // Sent empty: every missing field says so under itself, read with it; the first has the focus.
    await form.getByRole('button', { name: 'Créer le compte' }).click();
    const nameBox = form.getByLabel('Nom', { exact: true });
    assert.equal(await nameBox.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'name');
    const notes = await form.locator('.field-error').allTextContents();
    assert.equal(notes.length, 3, notes.join(' | '));
    const described = await nameBox.getAttribute('aria-describedby');
    assert.match(await page.locator(`[id="${described.split(' ').pop()}"]`).textContent(), /Nom/);
    await form.getByRole('alert').filter({ hasText: /2\s+autres champs sont à corriger/ }).waitFor();
    await form.getByLabel('Nom', { exact: true }).fill(MEMBER.name);
    assert.equal(await form.locator('.field-error').count(), 2, 'a field fixed loses its message');
    await form.getByLabel('Adresse e-mail', { exact: true }).fill(MEMBER.email);
    await form.getByLabel('Rôle', { exact: true }).selectOption('membre');
    await form.getByLabel('Mot de passe initial', { exact: true }).fill(MEMBER.password);
    // The password chosen for someone can be checked by eye, and is never kept in a draft.
    const show = form.getByRole('button', { name: 'Afficher' });
    await show.click();
    assert.equal(await show.getAttribute('aria-pressed'), 'true');
    assert.equal(await form.getByLabel('Mot de passe initial', { exact: true }).getAttribute('type'), 'text');
    const stored = await page.evaluate(() => Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k)).join('\n'));
    assert.ok(!stored.includes(MEMBER.password), 'no password in the tab\'s storage');
    await show.click();
    assert.equal(await form.getByLabel('Mot de passe initial', { exact: true }).getAttribute('type'), 'password');
    await form.getByRole('button', { name: 'Créer le compte' }).click();

    const row = table.getByRole('row').filter({ hasText: MEMBER.name });
    await row.waitFor();
    assert.match(await row.textContent(), /bruno@test\.fr/);
    await page.getByRole('status').filter({ hasText: MEMBER.name }).waitFor();
  });

  await step('a role changed by an administrator reaches the open page: menu, message, page rights', async () => {
    const { page: bruno } = await newPage();
    await bruno.goto(`${base}/connexion`);
    await signIn(bruno, MEMBER.email, MEMBER.password);
    await heading(bruno, MEMBER.name);
    // An administrator chose this password: the home page asks for one's own.
    await bruno.getByText(/Votre mot de passe a été choisi par quelqu’un d’autre/).waitFor();
    assert.equal(await bruno.getByRole('link', { name: 'Changer mon mot de passe' }).getAttribute('href'), '/compte');
    const brunoNav = bruno.getByRole('navigation', { name: 'Navigation principale' });
    assert.equal(await brunoNav.getByText('Administration').count(), 0);
    const id = await page.evaluate(async (email) => {
      const { users } = await (await fetch('/api/admin/users')).json();
      return users.find((u) => u.email === email).id;
    }, MEMBER.email);
    const patch = (role) => page.evaluate(async ([uid, r]) => (await fetch(`/api/admin/users/${uid}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role: r }),
    })).status, [id, role]);
    assert.equal(await patch('admin'), 200);
    await bruno.getByRole('status').filter({ hasText: 'Vos droits ont changé' }).waitFor();
    await brunoNav.getByRole('link', { name: 'Utilisateurs', exact: true }).click();
    await heading(bruno, /^Utilisateurs$/);
    assert.equal(await patch('membre'), 200);
    // On a page that is no longer theirs: shown again, as refused.
    await heading(bruno, /^Accès réservé$/);
    assert.equal(await brunoNav.getByText('Administration').count(), 0);
    await bruno.context().close();
  });

  await step('« Premiers pas »: an organisation made and an account in it, the network step says « Fait »', async () => {
    await page.goto(`${base}/`);
    await heading(page, ADMIN.name);
    const steps = page.getByRole('region', { name: 'Premiers pas de l’administrateur' });
    const network = steps.locator('li').filter({ hasText: 'Créer les organisations du réseau, puis leurs comptes' });
    await network.waitFor();
    // Another account exists (Bruno), in no organisation yet: not done (the seeded
    // organisations are there from the start).
    assert.equal(await network.locator('.tag-ok').count(), 0);
    const status = await page.evaluate(async (email) => {
      const json = { 'Content-Type': 'application/json' };
      const { org } = await (await fetch('/api/admin/orgs', {
        method: 'POST', headers: json, body: JSON.stringify({ name: 'CPTS du Ternois', type: 'cpts', region: '32', departements: ['62'] }),
      })).json();
      const { users } = await (await fetch('/api/admin/users')).json();
      const bruno = users.find((u) => u.email === email);
      return (await fetch(`/api/admin/users/${bruno.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ org_id: org.id }) })).status;
    }, MEMBER.email);
    assert.equal(status, 200);
    await page.reload();
    await heading(page, ADMIN.name);
    await network.getByText('Fait', { exact: true }).waitFor();
    assert.equal(await steps.locator('li.step-done').count(), 3);
  });

  await step('« Tâches planifiées »: each job named in French; at 200 % zoom « Lancer maintenant » is in view', async () => {
    await page.goto(`${base}/admin/taches`);
    await heading(page, /^Tâches planifiées$/);
    const names = await page.locator('main .job-name').allTextContents();
    assert.ok(names.length >= 7, `the jobs are listed (${names.length})`);
    assert.deepEqual(names.filter((n) => /^[a-z_]+\.[a-z_]+$/.test(n)), [], 'no job is named by its key');
    assert.ok(names.includes('Effacement des fichiers jamais joints'));
    // 1366 px at 200 %: 683 px. The buttons are reached without scrolling sideways.
    await page.setViewportSize({ width: 683, height: 450 });
    await assertNoOverflow(page);
    const outside = await page.locator('main [data-action="run"]').evaluateAll((els) => els.filter((el) => {
      const r = el.getBoundingClientRect();
      const frame = el.closest('.table-wrap').getBoundingClientRect();
      return r.right > frame.right || r.left < frame.left;
    }).length);
    assert.equal(outside, 0, 'every « Lancer maintenant » is inside the visible frame');
    await assertAxeClean(page, 'the scheduled jobs at 200 % zoom');
    await page.setViewportSize({ width: 1366, height: 900 });
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

  await step('on a phone the menu folds behind « Menu », the bell stays in sight', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const toggle = nav.getByRole('button', { name: 'Menu' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await nav.getByRole('link', { name: 'Bibliothèque', exact: true }).isVisible(), false);
    assert.equal(await nav.getByRole('link', { name: /Notifications/ }).isVisible(), true);
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await assertAxeClean(page, 'the open menu on a phone');
    await page.keyboard.press('Escape');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    await nav.getByRole('link', { name: 'Bibliothèque', exact: true }).click();
    await waitForPath(page, '/bibliotheque');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false', 'a link followed folds the menu');
    await page.setViewportSize({ width: 1366, height: 768 });
    assert.equal(await toggle.isVisible(), false);
    assert.equal(await nav.getByRole('link', { name: 'Bibliothèque', exact: true }).isVisible(), true);
  });

  await step('an accented address is an address: the administrator gives one to Bruno', async () => {
    await page.goto(`${base}/admin/utilisateurs`);
    await heading(page, /^Utilisateurs$/);
    const row = page.locator('main table').getByRole('row').filter({ hasText: MEMBER.name });
    await row.getByRole('button', { name: /Modifier/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Adresse e-mail', { exact: true }).fill('brunô.élève@test.fr');
    await dialog.getByRole('button', { name: 'Enregistrer' }).click();
    await row.filter({ hasText: 'brunô.élève@test.fr' }).waitFor();
  });

  await step('no console error and no CSP violation', async () => {
    assertNoProblems(problems);
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
    assertNoProblems(problems);
  });
}

runTest({ name: 'login_navigate.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
