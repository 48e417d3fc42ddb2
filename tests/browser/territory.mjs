#!/usr/bin/env node
// Browser test of « Territoire d'une CPTS »: a member of a CPTS opens the page from the
// navigation, sees the data's year, picks communes by name (mouse) and by postal code and
// INSEE code (keyboard only), reads the population, the size and the seed funding as they
// change, removes a commune, saves the territory with the CPTS, and finds the CSV link; back
// another day, the page opens on her CPTS's saved territory, an empty list is never saved
// without a confirmation, « Reprendre » asks before replacing what is picked, and the focus
// stays on « Enregistrer le territoire »; no
// horizontal scrolling at 1366 px and at 390 px; axe-core finds no WCAG A/AA violation.
//
// Usage: node territory.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  STEP_TIMEOUT_MS, addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, runCli, runTest, signIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Admin', password: 'correct horse battery' };
const MEMBER = { email: 'cora@test.fr', name: 'Cora Coordinatrice', password: 'cora mot de passe' };

async function run(relais) {
  const dataDir = await makeDataDir('relais-territory-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  await runCli(relais, ['org', 'add', '--data-dir', dataDir, '--name', 'CPTS du Mélantois', '--type', 'cpts', '--region', '32',
    '--departements', '59']);
  await runCli(relais, ['user', 'add', '--data-dir', dataDir, '--email', MEMBER.email, '--name', MEMBER.name, '--role', 'membre',
    '--org', 'CPTS du Mélantois'], `${MEMBER.password}\n`);
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);

  const browser = await launchBrowser();
  const problems = [];
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watchPage(page, problems, { who: 'member', allow: (text, where) => isExpected401(text, where, ['/api/me']) });

  await step('the communes are loaded (imported at start)', async () => {
    await signIn(page, base, MEMBER);
    let status = 'loading';
    for (let i = 0; i < 200 && status === 'loading'; i += 1) {
      status = (await (await page.request.get(`${base}/api/territory/meta`)).json()).status;
      if (status === 'loading') await page.waitForTimeout(100);
    }
    assert.equal(status, 'ready');
  });

  const figure = (id) => page.locator(`[data-testid="${id}"]`);
  let orgId = null;

  await step('« Territoire CPTS » in the navigation opens the page with the data\'s year', async () => {
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Territoire CPTS', exact: true }).click();
    await waitForPath(page, '/territoire');
    await heading(page, /^Territoire d’une CPTS$/);
    await page.getByText(/millésime 2026/).waitFor();
    await page.getByText('Aucune commune pour l’instant.').waitFor();
    await assertAxeClean(page, 'the empty territory page');
  });

  await step('search by name and add with the mouse: Lille alone is taille 4, 44 000 €', async () => {
    await page.getByLabel('Rechercher une commune').fill('lille');
    await page.getByRole('button', { name: 'Ajouter Lille (59350)' }).click();
    await figure('taille').filter({ hasText: 'Taille 4' }).waitFor();
    assert.match(await figure('financement').textContent(), /^44\s000\s€ par an$/u);
    assert.match(await figure('population').textContent(), /^2\d\d\s\d\d\d habitants$/u);
    // (The thousands separator is a narrow no-break space in fr-FR.)
    await page.getByText(/^dont 24\s000\s€ pour un coordonnateur à 0,5 ETP$/u).waitFor();
    await page.getByText('Nord (59)').waitFor();
    await page.getByText('Hauts-de-France').first().waitFor();
    await page.getByText('Aucune CPTS enregistrée ne couvre ces communes.').waitFor();
    await assertAxeClean(page, 'the page with a commune and its summary');
  });

  await step('a commune shows its postal code and its INSEE code, each named (Merville: CP 59660, INSEE 59400)', async () => {
    const search = page.getByLabel('Rechercher une commune');
    await search.fill('merville');
    const row = page.locator('.territory-results li').filter({ has: page.getByText('Merville', { exact: true }) })
      .filter({ hasText: '59 Nord' });
    await row.waitFor();
    const line = (await row.locator('.hint').textContent()).replace(/\s+/gu, ' ');
    assert.match(line, /^INSEE 59400 · CP 59660 · 59 Nord · /u, line);
    // The postal code people know finds it too.
    await search.fill('59660');
    await page.locator('.territory-results .hint').filter({ hasText: /CP 59660/ }).first().waitFor();
    await search.fill('');
  });

  await step('keyboard only: a postal code, Down to the result, Enter adds it; Enter in the field adds the first', async () => {
    const search = page.getByLabel('Rechercher une commune');
    await search.fill('');
    await search.focus();
    await page.keyboard.type('59235');  // Bersée's postal code
    await page.getByRole('button', { name: /^Ajouter Bersée/ }).waitFor();
    await page.keyboard.press('ArrowDown');
    assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), /^Ajouter Bersée/);
    await page.keyboard.press('Enter');
    await page.getByText('2 communes.').waitFor();
    await search.focus();
    await search.fill('');
    await page.keyboard.type('01001');  // an INSEE code, in another région
    await page.getByRole('button', { name: /^Ajouter L’Abergement|^Ajouter L'Abergement/ }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByText('3 communes.').waitFor();
    await page.getByText('Hauts-de-France, Auvergne-Rhône-Alpes').waitFor();
  });

  await step('removing Lille: taille 1, 34 000 €', async () => {
    await page.getByRole('button', { name: 'Retirer Lille' }).click();
    await page.getByText('2 communes.').waitFor();
    await figure('taille').filter({ hasText: 'Taille 1' }).waitFor();
    assert.match(await figure('financement').textContent(), /^34\s000\s€ par an$/u);
    const href = await page.getByRole('link', { name: 'Exporter en CSV' }).getAttribute('href');
    assert.match(href, /^\/api\/territory\/export\?communes=59071%2C01001$/);
    const csv = await page.request.get(`${base}${href}`);
    assert.equal(csv.status(), 200);
    assert.match(await csv.text(), /taille;1/);
  });

  await step('Enter on a commune already chosen adds nothing and says so; the choice survives leaving the page', async () => {
    const search = page.getByLabel('Rechercher une commune');
    await search.fill('');
    await search.focus();
    await page.keyboard.type('01001');
    await page.getByRole('button', { name: /déjà dans le territoire|déjà ajoutée/i }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: /Abergement/ }).first().waitFor();
    assert.equal(await page.getByText('2 communes.').count(), 1, 'nothing else was added');
    // Another page, then back: the two communes are still there.
    await page.getByRole('link', { name: 'Bibliothèque', exact: true }).first().click();
    await heading(page, /^Bibliothèque/);
    await page.goBack();
    await heading(page, /^Territoire d’une CPTS$/);
    await page.getByText('2 communes.').waitFor();
    await page.getByRole('button', { name: 'Retirer Bersée' }).waitFor();
  });

  await step('on a phone the page does not scroll sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(page);
    await assertAxeClean(page, 'the territory page at 390 px');
    await page.setViewportSize({ width: 1366, height: 900 });
    await assertNoOverflow(page);
  });

  await step('the member saves the territory with their CPTS; it is there when reloaded', async () => {
    await page.getByLabel('CPTS', { exact: true }).selectOption({ label: 'CPTS du Mélantois' });
    await page.getByRole('button', { name: 'Enregistrer le territoire' }).click();
    await page.getByText('Territoire enregistré pour CPTS du Mélantois.').waitFor();
    const saved = await (await page.request.get(`${base}/api/territory/cpts`)).json();
    assert.equal(saved.territories.length, 1);
    orgId = saved.territories[0].org_id;
    assert.equal(saved.territories[0].commune_count, 2);
    await page.goto(`${base}/territoire?cpts=${saved.territories[0].org_id}`);
    await heading(page, /^Territoire d’une CPTS$/);
    await page.getByText('2 communes.').waitFor();
    await figure('taille').filter({ hasText: 'Taille 1' }).waitFor();
    await assertAxeClean(page, 'a saved territory reloaded');
  });

  // The member comes back another day (a new tab: nothing kept from before).
  const member2 = await context.browser().newContext({ locale: 'fr-FR', viewport: { width: 1366, height: 900 } });
  const again = await member2.newPage();
  again.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watchPage(again, problems, { who: 'member again', allow: (text, where) => isExpected401(text, where, ['/api/me']) });
  const savedCount = async () => {
    const list = (await (await again.request.get(`${base}/api/territory/cpts`)).json()).territories;
    return list.length ? list[0].commune_count : 0;
  };
  const saveButton = again.getByRole('button', { name: 'Enregistrer le territoire' });

  await step('a member opening the page finds her CPTS’s saved territory, ready to edit', async () => {
    await signIn(again, base, MEMBER);
    await again.goto(`${base}/territoire`);
    await heading(again, /^Territoire d’une CPTS$/);
    await again.getByText('2 communes.').waitFor();
    await again.getByRole('button', { name: 'Retirer Bersée' }).waitFor();
    assert.equal(await again.getByLabel('CPTS', { exact: true }).inputValue(), String(orgId));
    await again.getByText(/^Vous modifiez le territoire enregistré de cette CPTS/).waitFor();
    await assertAxeClean(again, 'the territory page opened on the member’s saved territory');
  });

  await step('an empty list never erases the saved territory without a clear confirmation', async () => {
    await again.getByRole('button', { name: 'Retirer Bersée' }).click();
    await again.getByRole('button', { name: /^Retirer L/ }).click();
    await again.getByText('Aucune commune pour l’instant.').waitFor();
    await saveButton.focus();
    await again.keyboard.press('Enter');
    const dialog = again.getByRole('dialog', { name: 'Supprimer le territoire enregistré de CPTS du Mélantois ?' });
    await dialog.getByText(/effacera le territoire de CPTS du Mélantois \(2 communes\)/).waitFor();
    await assertAxeClean(again, 'the confirmation before erasing a saved territory');
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await saveButton.evaluate((el) => el === document.activeElement), true, 'the focus is back on the button');
    assert.equal(await savedCount(), 2, 'nothing was erased');
  });

  await step('« Reprendre » asks before replacing the communes picked; saving keeps the focus on the button', async () => {
    await again.getByLabel('Rechercher une commune').fill('lille');
    await again.getByRole('button', { name: 'Ajouter Lille (59350)' }).click();
    await again.getByText('1 commune.').waitFor();
    await again.getByLabel('Reprendre le territoire d’une CPTS enregistrée').selectOption(String(orgId));
    await again.getByRole('button', { name: 'Reprendre', exact: true }).click();
    const dialog = again.getByRole('dialog', { name: 'Remplacer les communes choisies ?' });
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    await dialog.waitFor({ state: 'detached' });
    await again.getByRole('button', { name: 'Retirer Lille' }).waitFor();
    await again.getByRole('button', { name: 'Reprendre', exact: true }).click();
    await dialog.getByRole('button', { name: 'Remplacer les communes' }).click();
    await again.getByText('2 communes.').waitFor();
    assert.equal(await again.getByRole('button', { name: 'Retirer Lille' }).count(), 0);
    // Saved from the keyboard: the outcome beside the button, the focus still on it.
    await saveButton.focus();
    await again.keyboard.press('Enter');
    await again.getByRole('status').filter({ hasText: 'Territoire enregistré pour CPTS du Mélantois.' }).waitFor();
    assert.equal(await saveButton.evaluate((el) => el === document.activeElement), true, 'the focus stays on the button');
  });

  await step('confirmed, an empty list erases the territory, and says so', async () => {
    await again.getByRole('button', { name: 'Retirer Bersée' }).click();
    await again.getByRole('button', { name: /^Retirer L/ }).click();
    await again.getByText('Aucune commune pour l’instant.').waitFor();
    await saveButton.click();
    const dialog = again.getByRole('dialog', { name: 'Supprimer le territoire enregistré de CPTS du Mélantois ?' });
    await dialog.getByRole('button', { name: 'Supprimer le territoire' }).click();
    await again.getByRole('status').filter({ hasText: 'Territoire de CPTS du Mélantois supprimé.' }).waitFor();
    assert.equal(await savedCount(), 0);
    // Nothing saved any more: an empty list is refused, with the reason.
    await saveButton.click();
    await again.getByText('Ajoutez au moins une commune avant d’enregistrer le territoire.').waitFor();
    await again.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(again);
    await assertAxeClean(again, 'the territory page after erasing, on a phone');
  });

  await step('no console error nor CSP violation on any page', async () => {
    assertNoProblems(problems);
  });
}

runTest({ name: 'territory.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
