#!/usr/bin/env node
// Browser test of the needs for support (« Besoins d'appui ») and the network view. An
// administrator sets up, through the API, a CPAM and an MSA with one person each who
// knows « Financement » (Marie, référent in the Pas-de-Calais, validated by her
// institution; Marc, pratique in the Nord) and a CPTS whose coordinator, Paul, declares a
// need: a missing domain is refused with the typed text kept, the page is reloaded and
// the draft comes back; he picks a commune by name; the need shows its territory. Anne,
// animateur, sees Marie proposed first with the reasons in words and assigns her from the
// proposals; she prepares a workshop from the need (the form comes pre-filled and the
// workshop is linked back). Marie starts and finishes the accompaniment and turns it into
// a testimony for the library. The network view shows CPAM and MSA side by side for
// « Financement », as a table and as a list, with a domain highlighted from the keyboard.
// axe-core clean in each state; no horizontal scrolling at 1366 px and 390 px; no console
// error.
//
// Usage: node expertise_needs.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  STEP_TIMEOUT_MS, addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, runTest, signIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 170_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Admin', password: 'correct horse battery' };
const MARIE = { email: 'marie@test.fr', name: 'Marie Financement', password: 'marie mot de passe' };
const MARC = { email: 'marc@test.fr', name: 'Marc Pratique', password: 'marc mot de passe' };
const ANNE = { email: 'anne@test.fr', name: 'Anne Animatrice', password: 'anne mot de passe' };
const PAUL = { email: 'paul@test.fr', name: 'Paul Coordinateur', password: 'paul mot de passe' };
const NEED = 'Monter le dossier d’aide à l’amorçage';

async function assertNoOverflowBoth(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  await assertNoOverflow(page);
  await page.setViewportSize({ width: 1366, height: 900 });
  await assertNoOverflow(page);
}

async function run(relais) {
  const dataDir = await makeDataDir('relais-needs-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);

  const browser = await launchBrowser();
  const problems = [];
  const open = async (who, user) => {
    const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await watchPage(page, problems, { who, allow: (text, where) => isExpected401(text, where, ['/api/me']) });
    await signIn(page, base, user);
    return page;
  };

  // Set-up through the API: organisations, accounts, two people who know « Financement ».
  const apiAs = async (user) => {
    const request = (await browser.newContext()).request;
    const call = async (method, path, data) => {
      const response = await request.fetch(`${base}${path}`, { method, data, headers: { Origin: base } });
      assert.ok(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`);
      return response.json();
    };
    await call('POST', '/api/session', { email: user.email, password: user.password });
    return call;
  };
  const admin = await apiAs(ADMIN);
  const cpam = (await admin('POST', '/api/admin/orgs', { name: 'CPAM de l’Artois', type: 'cpam', region: '32', departements: ['62'] })).org;
  const msa = (await admin('POST', '/api/admin/orgs', { name: 'MSA Nord-Pas-de-Calais', type: 'msa', region: '32', departements: ['59', '62'] })).org;
  const cpts = (await admin('POST', '/api/admin/orgs', { name: 'CPTS du Ternois', type: 'cpts', region: '32', departements: ['62'] })).org;
  await admin('POST', '/api/admin/users', { ...MARIE, role: 'membre', org_id: cpam.id });
  await admin('POST', '/api/admin/users', { ...MARC, role: 'membre', org_id: msa.id });
  await admin('POST', '/api/admin/users', { ...ANNE, role: 'animateur', org_id: cpam.id });
  await admin('POST', '/api/admin/users', { ...PAUL, role: 'membre', org_id: cpts.id });
  const marieApi = await apiAs(MARIE);
  const marieId = (await marieApi('POST', '/api/expertise/people', { role: 'dam', consent: true, departements: ['62'] })).person.id;
  await marieApi('PUT', `/api/expertise/people/${marieId}/entries/financement`, { level: 'referent' });
  const marcApi = await apiAs(MARC);
  const marcId = (await marcApi('POST', '/api/expertise/people', { role: 'cdt_msa', consent: true, departements: ['59'] })).person.id;
  await marcApi('PUT', `/api/expertise/people/${marcId}/entries/financement`, { level: 'pratique' });
  const anneApi = await apiAs(ANNE);
  await anneApi('POST', `/api/expertise/people/${marieId}/entries/financement/validation`, { valid: true });
  // The communes are read in when first wanted: ask now, wait until they are there.
  for (let i = 0; i < 300; i += 1) {
    if ((await admin('GET', '/api/territory/meta')).status === 'ready') break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const paul = await open('paul', PAUL);
  let needPath = '';

  await step('the needs page is empty and says what to do', async () => {
    await paul.goto(`${base}/expertises/besoins`);
    await heading(paul, /^Besoins d’appui$/);
    await paul.getByText(/Aucun besoin d’appui pour l’instant/).waitFor();
    await assertAxeClean(paul, 'the empty needs page');
    await assertNoOverflowBoth(paul);
  });

  await step('the coordinator declares a need: a missing domain is refused, the typed text kept, even across a reload', async () => {
    await paul.getByRole('link', { name: 'Déclarer un besoin' }).first().click();
    await waitForPath(paul, '/expertises/besoins/nouveau');
    await heading(paul, /^Déclarer un besoin d’appui$/);
    const form = paul.getByRole('form', { name: 'Déclarer un besoin d’appui' });
    await form.getByLabel('Intitulé du besoin').fill(NEED);
    await form.getByLabel('Description').fill('Premier dossier FIR de la CPTS : nous ne savons pas par où commencer.');
    await form.getByLabel('Prioritaire').check();
    await assertAxeClean(paul, 'the need form');
    await form.getByRole('button', { name: 'Enregistrer le besoin' }).click();
    await form.getByRole('alert').filter({ hasText: 'Cochez au moins un domaine concerné.' }).waitFor();
    // Said once beside the field, and read once with it (not a second copy).
    assert.equal(await form.locator('.field-error').filter({ hasText: 'Cochez au moins un domaine concerné.' }).count(), 1,
      'one message under the domains');
    const describedErrors = await form.locator('[aria-invalid="true"]').evaluateAll((els) => els.map((el) =>
      (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => document.getElementById(id)?.classList.contains('field-error')).length));
    assert.deepEqual(describedErrors, [1], 'the field is described by one error message');
    assert.equal(await form.getByLabel('Intitulé du besoin').inputValue(), NEED);
    await assertAxeClean(paul, 'the need form with an error');
    await paul.reload();
    await heading(paul, /^Déclarer un besoin d’appui$/);
    await paul.getByText('Votre saisie précédente a été conservée : vérifiez-la avant d’enregistrer.').waitFor();
    const again = paul.getByRole('form', { name: 'Déclarer un besoin d’appui' });
    assert.equal(await again.getByLabel('Intitulé du besoin').inputValue(), NEED, 'the draft came back');
    assert.equal(await again.getByLabel('Prioritaire').isChecked(), true);
    await again.getByLabel('Financement').check();
    // A commune by name, added from the keyboard (Enter adds the first result).
    const search = again.getByLabel('Ajouter une commune');
    await search.fill('Saint-Pol-sur-Ternoise');
    await again.getByRole('button', { name: /^Ajouter Saint-Pol-sur-Ternoise \(62767\)$/ }).waitFor();
    // Both codes, each named: the INSEE code is not the postal code people know.
    await again.getByText(/^INSEE 62767 · CP 62130 · 62 /).waitFor();
    await search.press('Enter');
    await again.getByText('1 commune choisie.').waitFor();
    await again.locator('.territory-chosen').getByText('INSEE 62767 · CP 62130', { exact: true }).waitFor();
    await again.getByRole('button', { name: 'Enregistrer le besoin' }).click();
    await waitForPath(paul, /^\/expertises\/besoins\/\d+$/);
    needPath = new URL(paul.url()).pathname;
    await heading(paul, new RegExp(`^${NEED}$`));
    await paul.getByText(/^1 commune, [\d\u202f\u00a0 ]+ habitants — Pas-de-Calais \(62\)$/).waitFor();
    await paul.getByText('Prioritaire', { exact: true }).first().waitFor();
    await assertAxeClean(paul, 'a need just declared, seen by its coordinator');
    await assertNoOverflowBoth(paul);
  });

  const anne = await open('anne', ANNE);
  await step('the animateur sees Marie proposed first, with the reasons in words, and assigns her', async () => {
    await anne.goto(`${base}${needPath}`);
    await heading(anne, new RegExp(`^${NEED}$`));
    const proposals = anne.locator('.proposal');
    await proposals.first().waitFor();
    assert.equal(await proposals.count(), 2);
    const first = proposals.nth(0);
    await first.getByRole('link', { name: MARIE.name }).waitFor();
    await first.getByText('Référent en « Financement » (validé par son institution)').waitFor();
    await first.getByText('Intervient dans le même département').waitFor();
    await proposals.nth(1).getByRole('link', { name: MARC.name }).waitFor();
    await proposals.nth(1).getByText('Dans la même région').waitFor();
    await assertAxeClean(anne, 'a need with its ranked proposals');
    // The tab names the need.
    assert.equal(await anne.title(), `${NEED} — Besoins d’appui — Relais`);
    // From the keyboard: the focus lands on the outcome, not on <body>.
    await first.getByRole('button', { name: `Attribuer à ${MARIE.name}` }).focus();
    await anne.keyboard.press('Enter');
    await anne.getByRole('status').filter({ hasText: `Besoin attribué à ${MARIE.name}.` }).waitFor();
    await anne.waitForFunction((text) => document.activeElement?.textContent === text, `Besoin attribué à ${MARIE.name}.`);
    await anne.locator('.details').getByRole('link', { name: MARIE.name }).waitFor();
    await anne.locator('.need-history').getByText(`Attribué à ${MARIE.name}`).waitFor();
    await assertNoOverflowBoth(anne);
  });

  await step('she prepares a workshop from the need: pre-filled, then linked back', async () => {
    await anne.getByRole('link', { name: 'Préparer un atelier à partir de ce besoin' }).click();
    await waitForPath(anne, '/ateliers/nouveau');
    await anne.getByText(/Prérempli à partir du besoin d’appui/).waitFor();
    assert.equal(await anne.getByLabel('Titre', { exact: true }).inputValue(), `CPTS du Ternois — ${NEED}`);
    assert.equal(await anne.locator('select[name="cpts_id"]').inputValue(), String(cpts.id));
    // The partner: the organisation of the person assigned.
    assert.equal(await anne.getByRole('checkbox', { name: 'CPAM de l’Artois' }).isChecked(), true);
    assert.equal(await anne.getByRole('checkbox', { name: 'MSA Nord-Pas-de-Calais' }).isChecked(), false);
    await assertAxeClean(anne, 'the workshop form pre-filled from a need');
    await anne.locator('input[name="date"]').fill('2026-12-15T14:00');
    await anne.getByRole('button', { name: 'Créer l’atelier' }).click();
    await waitForPath(anne, /^\/ateliers\/\d+$/);
    await anne.goto(`${base}${needPath}`);
    await anne.locator('.need-links').getByRole('link', { name: new RegExp(`^Atelier : CPTS du Ternois — ${NEED}`) }).waitFor();
    // The history names the workshop by its title, not its number.
    await anne.locator('.need-history').getByText(`Atelier « CPTS du Ternois — ${NEED} » lié`).waitFor();
  });

  const marie = await open('marie', MARIE);
  await step('Marie starts, finishes, and turns the need into a testimony', async () => {
    await marie.goto(`${base}${needPath}`);
    await heading(marie, new RegExp(`^${NEED}$`));
    assert.equal(await marie.locator('.proposal').count(), 0, 'proposals are for animateurs');
    // From the keyboard: each move leaves the focus on the new state, and Tab goes on to
    // the next action.
    await marie.getByRole('button', { name: 'Commencer l’accompagnement' }).focus();
    await marie.keyboard.press('Enter');
    await marie.getByRole('status').filter({ hasText: 'État du besoin : En cours.' }).waitFor();
    await marie.waitForFunction(() => document.activeElement?.textContent === 'État du besoin\u00a0: En cours.');
    await marie.keyboard.press('Tab');
    assert.equal(await marie.evaluate(() => document.activeElement.textContent), 'Marquer comme terminé');
    await marie.keyboard.press('Enter');
    await marie.getByRole('status').filter({ hasText: 'État du besoin : Terminé.' }).waitFor();
    await marie.waitForFunction(() => document.activeElement?.textContent === 'État du besoin\u00a0: Terminé.');
    await assertAxeClean(marie, 'a need just finished, the focus on its new state');
    await marie.getByRole('button', { name: 'Rédiger le témoignage' }).click();
    const form = marie.getByRole('form', { name: 'En faire un témoignage' });
    assert.equal(await form.getByLabel('Titre du témoignage').inputValue(), `Témoignage — ${NEED}`);
    assert.match(await form.getByLabel('Texte').inputValue(), /## Ce qui a marché/);
    await assertAxeClean(marie, 'the testimony form of a finished need');
    await form.getByLabel('Texte').fill('## Ce qui a été fait\n\nUn rendez-vous par semaine pendant un mois.\n');
    await form.getByRole('button', { name: 'Envoyer à la bibliothèque' }).click();
    await marie.getByRole('status').filter({ hasText: 'Témoignage envoyé : il sera publié après relecture.' }).waitFor();
    await marie.locator('.need-links').getByRole('link', { name: 'Témoignage en cours de relecture' }).waitFor();
    await assertAxeClean(marie, 'a finished need with its testimony');
    await assertNoOverflowBoth(marie);
  });

  await step('the network view shows CPAM and MSA side by side for « Financement »', async () => {
    await paul.getByRole('link', { name: 'Réseau' }).click();
    await waitForPath(paul, '/expertises/reseau');
    await heading(paul, /^Réseau des expertises$/);
    const table = paul.getByRole('table', { name: 'Personnes qui connaissent chaque domaine, par type d’institution' });
    await table.waitFor();
    const row = table.getByRole('row').filter({ has: paul.getByRole('rowheader', { name: 'Financement' }) });
    assert.deepEqual(await row.getByRole('cell').allTextContents(), ['1 personne', '1 personne']);
    const item = paul.locator('.network-list > li').filter({ has: paul.getByRole('heading', { name: 'Financement' }) });
    await item.getByText(/CPAM de l’Artois \(CPAM\)/).waitFor();
    await item.getByRole('link', { name: MARC.name }).waitFor();
    // Highlight a domain from the keyboard: the others fade in the graph.
    await paul.getByLabel('Mettre en évidence').selectOption({ label: 'Financement' });
    assert.ok(await paul.locator('.network-graph .network-picked').count() === 1);
    assert.ok(await paul.locator('.network-graph .network-node.network-dim').count() > 0);
    await assertAxeClean(paul, 'the network view with a domain highlighted');
    // The graph's labels are whole (« Lettre d’intention et projet de santé »), not cut short.
    const cut = await paul.locator('.network-graph text').evaluateAll((els) => els.map((el) => el.textContent).filter((x) => x.endsWith('…')));
    assert.deepEqual(cut, [], 'no label of the graph is cut');
    await assertNoOverflowBoth(paul);
    // On a phone the table is one card per domain: its caption is whole, in view.
    await paul.setViewportSize({ width: 390, height: 844 });
    const fits = await table.evaluate((el) => {
      const wrap = el.closest('.table-wrap');
      const caption = el.caption.getBoundingClientRect();
      return wrap.scrollWidth <= wrap.clientWidth && caption.right <= wrap.getBoundingClientRect().right;
    });
    assert.equal(fits, true, 'the table and its caption fit the screen');
    await assertAxeClean(paul, 'the network view on a phone');
    await paul.setViewportSize({ width: 1366, height: 900 });
  });

  await step('the needs list shows it done, with who accompanied it', async () => {
    await paul.goto(`${base}/expertises/besoins?etat=done`);
    await heading(paul, /^Besoins d’appui$/);
    const card = paul.locator('.need-card').filter({ has: paul.getByRole('link', { name: NEED }) });
    await card.getByText('Terminé', { exact: true }).waitFor();
    await card.getByText(new RegExp(`^Accompagné par ${MARIE.name}`)).waitFor();
    await assertAxeClean(paul, 'the needs list filtered by state');
    await assertNoOverflowBoth(paul);
  });

  await step('no console error nor CSP violation on any page', async () => {
    assertNoProblems(problems);
  });
}

runTest({ name: 'expertise_needs.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
