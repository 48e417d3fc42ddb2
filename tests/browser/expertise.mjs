#!/usr/bin/env node
// Browser test of the expertise map (« Expertises »): an administrator creates two
// organisations and their people through the API; a member of the CPAM declares herself
// (a phone number the server refuses is shown next to its field, the typed text kept),
// with her consent, and an expertise « Diagnostic territorial » at level référent in the
// Pas-de-Calais; her organisation's animateur validates it from her person page; a member
// of another organisation finds her in the directory by domain + niveau référent +
// département, and by typing « diagnostic »; the matrix by département for
// Hauts-de-France counts her, the gaps list her as the single référent; she withdraws her
// consent and is no longer found. axe-core finds no WCAG A/AA violation on each page
// state; no horizontal scrolling at 1366 px and 390 px; no console error.
//
// Usage: node expertise.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  STEP_TIMEOUT_MS, addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, runTest, signIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 170_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Admin', password: 'correct horse battery' };
const MARIE = { email: 'marie@test.fr', name: 'Marie Diagnostic', password: 'marie mot de passe' };
const ANNE = { email: 'anne@test.fr', name: 'Anne Animatrice', password: 'anne mot de passe' };
const PAUL = { email: 'paul@test.fr', name: 'Paul Cherche', password: 'paul mot de passe' };

/** Both widths: no sideways scrolling at 1366 px nor at 390 px. */
async function assertNoOverflowBoth(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  await assertNoOverflow(page);
  await page.setViewportSize({ width: 1366, height: 900 });
  await assertNoOverflow(page);
}

async function run(relais) {
  const dataDir = await makeDataDir('relais-expertise-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);

  const browser = await launchBrowser();
  const problems = [];
  // The phone number the server refuses (400 on the declaration) is expected, once.
  let refusedPhone = 0;
  const expected400 = (text, where) => /status of 400/.test(text) && Boolean(where)
    && new URL(where).pathname === '/api/expertise/people' && (refusedPhone += 1) === 1;
  const open = async (who, user) => {
    const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await watchPage(page, problems, {
      who, allow: (text, where) => isExpected401(text, where, ['/api/me']) || (who === 'marie' && expected400(text, where)),
    });
    await signIn(page, base, user);
    return page;
  };

  // The administrator sets up the organisations and the accounts through the API.
  const adminApi = (await browser.newContext()).request;
  const call = async (method, path, data) => {
    const response = await adminApi.fetch(`${base}${path}`, { method, data, headers: { Origin: base } });
    assert.ok(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`);
    return response.json();
  };
  await call('POST', '/api/session', { email: ADMIN.email, password: ADMIN.password });
  const cpam = (await call('POST', '/api/admin/orgs', { name: 'CPAM de l’Artois', type: 'cpam', region: '32', departements: ['62'] })).org;
  const cpts = (await call('POST', '/api/admin/orgs', { name: 'CPTS du Ternois', type: 'cpts', region: '32', departements: ['62'] })).org;
  await call('POST', '/api/admin/users', { ...MARIE, role: 'membre', org_id: cpam.id });
  await call('POST', '/api/admin/users', { ...ANNE, role: 'animateur', org_id: cpam.id });
  await call('POST', '/api/admin/users', { ...PAUL, role: 'membre', org_id: cpts.id });

  const marie = await open('marie', MARIE);
  let marieId = null;

  await step('« Expertises » in the navigation opens the directory; nobody yet: « Déclarez vos expertises »', async () => {
    await marie.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Expertises', exact: true }).click();
    await waitForPath(marie, '/expertises');
    await heading(marie, /^Expertises$/);
    await marie.getByText('Aucune personne trouvée.').waitFor();
    await marie.getByText(/Personne n’a encore déclaré d’expertise/).waitFor();
    await assertAxeClean(marie, 'the empty directory');
    await assertNoOverflowBoth(marie);
  });

  await step('she declares herself: a refused phone number is shown next to its field, her typing kept', async () => {
    await marie.getByRole('link', { name: 'Déclarez vos expertises' }).click();
    await waitForPath(marie, '/expertises/moi');
    await heading(marie, /^Ma fiche d’expertises$/);
    const form = marie.getByRole('form', { name: 'Déclarer mes expertises' });
    await assertAxeClean(marie, 'the declaration form');
    // Without a role: the client says so and focuses it.
    await form.getByRole('button', { name: 'Créer ma fiche' }).click();
    await form.getByRole('alert').filter({ hasText: /Rôle/ }).waitFor();
    assert.equal(await form.getByLabel('Rôle', { exact: true }).evaluate((el) => el === document.activeElement), true);
    await form.getByLabel('Rôle', { exact: true }).selectOption({ label: 'Chargé de mission GDR' });
    await form.getByLabel('Région', { exact: true }).selectOption({ label: 'Hauts-de-France' });
    await form.getByLabel('Pas-de-Calais (62)').check();
    await form.getByLabel('Téléphone (facultatif)').fill('03 21 lettre');
    await form.getByLabel('J’accepte d’apparaître dans la cartographie des expertises').check();
    await form.getByRole('button', { name: 'Créer ma fiche' }).click();
    await form.getByRole('alert').filter({ hasText: /Numéro de téléphone invalide/ }).waitFor();
    const phone = form.getByLabel('Téléphone (facultatif)');
    assert.equal(await phone.getAttribute('aria-invalid'), 'true');
    assert.match(await phone.evaluate((el) => el.closest('.field').querySelector('.field-error').textContent), /Numéro de téléphone invalide/);
    // Once: one message under the field, one in its description (not two copies).
    assert.equal(await phone.evaluate((el) => el.closest('.field').querySelectorAll('.field-error').length), 1);
    assert.equal(await phone.evaluate((el) => (el.getAttribute('aria-describedby') || '').split(' ')
      .filter((id) => document.getElementById(id)?.classList.contains('field-error')).length), 1);
    assert.equal(await phone.inputValue(), '03 21 lettre', 'the typed text is kept');
    assert.equal(await form.getByLabel('Pas-de-Calais (62)').isChecked(), true);
    await assertAxeClean(marie, 'the declaration form with an error');
    await phone.fill('03 21 00 00 00');
    await form.getByRole('button', { name: 'Créer ma fiche' }).click();
    await marie.getByText('Votre fiche est créée et apparaît dans la cartographie. Ajoutez maintenant vos expertises.').waitFor();
    await marie.getByText('Votre fiche apparaît dans la cartographie. Public : tout le réseau.').waitFor();
    marieId = (await (await marie.request.get(`${base}/api/expertise/me`)).json()).person.id;
    assert.ok(marieId);
  });

  await step('she adds « Diagnostic territorial » at level référent', async () => {
    const form = marie.getByRole('form', { name: 'Ajouter une expertise' });
    await form.getByLabel('Domaine').selectOption({ label: 'Diagnostic territorial' });
    await form.getByLabel('Niveau').selectOption('referent');
    await form.getByLabel('Note (facultatif)').fill('Diagnostic de la CPTS du Ternois en 2025.');
    await form.getByRole('button', { name: 'Ajouter l’expertise' }).click();
    await marie.getByText('Expertise ajoutée : Diagnostic territorial, niveau Référent.').waitFor();
    const item = marie.locator('.expertise-item').filter({ has: marie.getByRole('heading', { name: 'Diagnostic territorial' }) });
    await item.getByText('Référent, portée locale').waitFor();
    await item.getByText('non validée', { exact: true }).waitFor();
    await marie.getByRole('button', { name: 'Toujours d’actualité' }).waitFor();
    await assertAxeClean(marie, 'my entry with one expertise');
    // Its inline edit form, opened from the keyboard.
    await marie.getByRole('button', { name: 'Modifier l’expertise « Diagnostic territorial »' }).focus();
    await marie.keyboard.press('Enter');
    await item.getByLabel('Portée').waitFor();
    await assertAxeClean(marie, 'an expertise with its edit form open');
    await item.getByRole('button', { name: 'Annuler' }).click();
    await assertNoOverflowBoth(marie);
  });

  const anne = await open('anne', ANNE);
  await step('her organisation’s animateur validates it from her person page', async () => {
    await anne.goto(`${base}/expertises`);
    await heading(anne, /^Expertises$/);
    await anne.getByRole('link', { name: MARIE.name }).click();
    await waitForPath(anne, `/expertises/personnes/${marieId}`);
    await heading(anne, new RegExp(`^${MARIE.name}$`));
    // The tab and the history name the person.
    assert.equal(await anne.title(), `${MARIE.name} — Expertises — Relais`);
    await anne.getByRole('link', { name: MARIE.email }).waitFor();
    assert.equal(await anne.getByRole('link', { name: MARIE.email }).getAttribute('href'), `mailto:${MARIE.email}`);
    assert.equal(await anne.getByRole('link', { name: '03 21 00 00 00' }).getAttribute('href'), 'tel:0321000000');
    await assertAxeClean(anne, 'a person page with the validation button');
    await anne.getByRole('button', { name: 'Valider l’expertise « Diagnostic territorial »' }).click();
    await anne.getByText(/^Validée par Anne Animatrice le \d+(er)? \S+ 20\d\d à \d\d:\d\d\.$/).waitFor();
    await anne.getByRole('button', { name: 'Retirer la validation de l’expertise « Diagnostic territorial »' }).waitFor();
    await anne.getByText('validée', { exact: true }).waitFor();
    await assertAxeClean(anne, 'a person page with a validated expertise');
    await assertNoOverflowBoth(anne);
  });

  await step('the animateur enters someone without an account and declares an expertise for him', async () => {
    await anne.goto(`${base}/expertises`);
    await heading(anne, /^Expertises$/);
    await anne.locator('summary').filter({ hasText: 'Ajouter une personne sans compte' }).click();
    const form = anne.getByRole('form', { name: 'Ajouter une personne sans compte' });
    await form.getByLabel('Nom et prénom').fill('Jean Sanscompte');
    await form.getByLabel('Rôle', { exact: true }).selectOption('dam');
    await form.getByLabel('Organisation', { exact: true }).selectOption({ label: cpam.name });
    await form.getByLabel('Région', { exact: true }).selectOption('32');
    await form.getByLabel('Nord (59)').check();
    await form.getByLabel('Ma région').check();
    await form.getByLabel('La personne accepte d’apparaître dans la cartographie des expertises').check();
    await assertAxeClean(anne, 'the form to enter someone without an account');
    await form.getByRole('button', { name: 'Créer la fiche' }).click();
    await waitForPath(anne, /^\/expertises\/personnes\/\d+\/modifier$/);
    await heading(anne, /^Fiche d’expertises\s:\sJean Sanscompte$/);
    await anne.getByText('Fiche créée pour Jean Sanscompte : déclarez maintenant ses expertises.').waitFor();
    await anne.getByText('Cette fiche apparaît dans la cartographie. Public : ma région.').waitFor();
    const add = anne.getByRole('form', { name: 'Ajouter une expertise' });
    await add.getByLabel('Domaine').selectOption('financement');
    await add.getByLabel('Niveau').selectOption('pratique');
    await add.getByLabel('Portée').selectOption('regional');
    await add.getByRole('button', { name: 'Ajouter l’expertise' }).click();
    await anne.getByText('Expertise ajoutée : Financement, niveau Pratique.').waitFor();
    await assertAxeClean(anne, 'someone else’s entry, edited by an animateur');
    await assertNoOverflowBoth(anne);
  });

  await step('the animateur declares her own fiche from « Ma fiche » (her name and organisation are her account’s)', async () => {
    await anne.goto(`${base}/expertises/moi`);
    await heading(anne, /^Ma fiche d’expertises$/);
    const form = anne.getByRole('form', { name: 'Déclarer mes expertises' });
    await form.getByLabel('Rôle', { exact: true }).selectOption('dam');
    // Without her consent: she stays out of the lists the steps below count.
    await form.getByRole('button', { name: 'Créer ma fiche' }).click();
    await anne.getByRole('form', { name: 'Ajouter une expertise' }).waitFor();
    const { person } = await (await anne.request.get(`${base}/api/expertise/me`)).json();
    assert.equal(person.name, ANNE.name);
    assert.equal(person.org && person.org.id, cpam.id);
  });

  const paul = await open('paul', PAUL);
  const status = paul.getByRole('status').filter({ hasText: /personne/ });
  await step('another member finds her by domain, niveau référent and département', async () => {
    await paul.goto(`${base}/expertises`);
    await heading(paul, /^Expertises$/);
    await paul.getByLabel('Domaine', { exact: true }).selectOption({ label: 'Diagnostic territorial — 1' });
    await paul.getByLabel('Niveau dans ce domaine').selectOption('referent');
    await paul.getByLabel('Département', { exact: true }).selectOption('62');
    await status.filter({ hasText: '1 personne trouvée.' }).waitFor();
    const card = paul.locator('.expertise-card').filter({ has: paul.getByRole('link', { name: MARIE.name }) });
    await card.getByText('Diagnostic territorial', { exact: true }).waitFor();
    await card.getByText('Référent', { exact: true }).waitFor();
    await card.getByText('validée', { exact: true }).waitFor();
    await card.getByText('Chargé de mission GDR · CPAM de l’Artois').waitFor();
    assert.match(paul.url(), /domain=diagnostic&level=referent&departement=62/);
    await assertAxeClean(paul, 'the directory with filters and a result');
    await assertNoOverflowBoth(paul);
    // A filter that leaves nobody says how to widen the search.
    await paul.getByLabel('Domaine', { exact: true }).selectOption('financement');
    await status.filter({ hasText: 'Aucune personne trouvée.' }).waitFor();
    await paul.getByText(/Élargissez-la/).waitFor();
    await assertAxeClean(paul, 'the directory with no result');
    await paul.getByRole('button', { name: 'Effacer la recherche et les filtres' }).click();
    await status.filter({ hasText: '2 personnes trouvées.' }).waitFor();
  });

  await step('… and by typing « diagnostic » in the search', async () => {
    await paul.getByLabel('Rechercher une personne ou une expertise').fill('diagnostic');
    await paul.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await status.filter({ hasText: '1 personne trouvée.' }).waitFor();
    await paul.getByRole('link', { name: MARIE.name }).waitFor();
    await assertAxeClean(paul, 'the directory after a full-text search');
  });

  await step('the matrix by département for Hauts-de-France counts her; the gaps name her single référent', async () => {
    await paul.getByRole('link', { name: 'Matrice et manques' }).click();
    await waitForPath(paul, '/expertises/matrice');
    await heading(paul, /^Matrice des expertises$/);
    await paul.getByRole('table', { name: 'Expertises par domaine et par organisation' }).waitFor();
    await paul.getByRole('radio', { name: 'Par département' }).check();
    const table = paul.getByRole('table', { name: 'Expertises par domaine et par département, Hauts-de-France' });
    await table.waitFor();
    const cell = await table.evaluate((el) => {
      const heads = [...el.querySelectorAll('thead th')].map((th) => th.textContent);
      const col = heads.indexOf('Pas-de-Calais');
      const row = [...el.querySelectorAll('tbody tr')].find((tr) => tr.querySelector('th').textContent === 'Diagnostic territorial');
      return row && col > 0 ? row.children[col].textContent : null;
    });
    assert.match(cell || '', /^1 réf\. \/ 0 prat\./);
    assert.match(cell, /1 référent, 0 au niveau pratique/);
    const single = paul.locator('.gap-list li').filter({ hasText: 'Diagnostic territorial' }).filter({ has: paul.getByRole('link', { name: MARIE.name }) });
    await single.waitFor();
    assert.match(await paul.getByRole('link', { name: 'La matrice (CSV)' }).getAttribute('href'), /by=departement&region=32&format=csv/);
    await paul.getByRole('link', { name: 'Les manques (CSV)' }).waitFor();
    assert.match(paul.url(), /vue=departement&region=32/);
    await assertAxeClean(paul, 'the matrix by département with its gaps');
    await assertNoOverflowBoth(paul);
  });

  await step('she withdraws her consent in one click and is no longer found', async () => {
    await marie.goto(`${base}/expertises/moi`);
    await heading(marie, /^Ma fiche d’expertises$/);
    await marie.getByRole('button', { name: 'Retirer mon accord (ne plus apparaître)' }).click();
    await marie.getByText('Votre fiche n’apparaît pas dans la cartographie : vous n’avez pas donné votre accord.').waitFor();
    await marie.getByRole('button', { name: 'J’accepte d’apparaître dans la cartographie' }).waitFor();
    await assertAxeClean(marie, 'my entry without consent');
    await paul.goto(`${base}/expertises?q=diagnostic`);
    await heading(paul, /^Expertises$/);
    // The index follows within a moment: search again until it has.
    let found = true;
    for (let i = 0; i < 50 && found; i += 1) {
      await paul.getByRole('button', { name: 'Rechercher', exact: true }).click();
      await paul.waitForTimeout(100);
      found = (await status.textContent()) !== 'Aucune personne trouvée.';
    }
    assert.equal(found, false, 'she is no longer found');
    assert.equal(await paul.getByRole('link', { name: MARIE.name }).count(), 0);
    await paul.getByText(/Élargissez-la/).waitFor();
    const hidden = await paul.request.get(`${base}/api/expertise/people/${marieId}`);
    assert.equal(hidden.status(), 404);
  });

  await step('no console error nor CSP violation on any page', async () => {
    assertNoProblems(problems);
  });
}

runTest({ name: 'expertise.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
