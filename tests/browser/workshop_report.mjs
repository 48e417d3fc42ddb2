#!/usr/bin/env node
// Browser test of what a facilitator sends after a workshop and of hybrid arrivals:
// the compte rendu downloaded as PDF and ODT, edited in the page with a live preview
// (leaving with unsaved text asks first; the saved text is what is downloaded); an invite
// link shown with its short code and QR code, projected big for the room; someone in the
// room types the code at /code and lands on the invitation. Publishing the report to the
// library asks first (it names the people present). The indicators' export is
// offered only for a plan with indicators. axe-core clean; no overflow at 390 px; no
// console error.
//
// Usage: node workshop_report.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, runTest, signedIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };

async function run(relais) {
  const dataDir = await makeDataDir('relais-report-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);
  const browser = await launchBrowser();
  const problems = [];
  const { page: a, call: api } = await signedIn(browser, base, ADMIN, problems, { who: 'alice' });
  const w = (await api('POST', '/api/workshops', {
    title: 'Diagnostic du Cambrésis', stage: 'projet_sante', template: 'swot', date: '2027-01-14T14:00',
  })).workshop;
  await api('POST', `/api/workshops/${w.id}/state`, { state: 'scheduled' });
  await api('POST', `/api/workshops/${w.id}/state`, { state: 'live' });
  const reportUrl = `${base}/ateliers/${w.id}/compte-rendu`;

  await step('the report is generated, then downloaded as PDF and ODT', async () => {
    await a.goto(reportUrl);
    await heading(a, /^Compte rendu — Diagnostic du Cambrésis$/);
    await a.getByText('Aucun compte rendu pour l’instant').waitFor();
    await a.getByRole('button', { name: 'Générer maintenant' }).click();
    await a.locator('article.report').getByRole('heading', { name: /Participants/ }).waitFor();
    const downloads = a.getByRole('region', { name: 'Téléchargements' });
    const pdfHref = await downloads.getByRole('link', { name: 'Compte rendu (PDF)' }).getAttribute('href');
    const odtHref = await downloads.getByRole('link', { name: /Compte rendu modifiable \(ODT/ }).getAttribute('href');
    const pdf = await a.request.get(`${base}${pdfHref}`);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
    const odt = await a.request.get(`${base}${odtHref}`);
    assert.equal(odt.headers()['content-type'], 'application/vnd.oasis.opendocument.text');
    assert.equal((await odt.body()).subarray(38, 77).toString(), 'application/vnd.oasis.opendocument.text');
    await assertAxeClean(a, 'the report page');
    // A SWOT has no indicators: their export (a header alone) is not offered.
    await downloads.getByRole('link', { name: 'Plan d’action (CSV)' }).waitFor();
    assert.equal(await downloads.getByRole('link', { name: 'Indicateurs (CSV)' }).count(), 0, 'no indicators export for a SWOT');
  });

  await step('a workshop on the indicators offers their export', async () => {
    const ind = (await api('POST', '/api/workshops', {
      title: 'Indicateurs du contrat', stage: 'pre_aci', template: 'indicateurs', date: '2027-01-21T14:00',
    })).workshop;
    await api('POST', `/api/workshops/${ind.id}/state`, { state: 'live' });
    await api('POST', `/api/workshops/${ind.id}/report`);
    await a.goto(`${base}/ateliers/${ind.id}/compte-rendu`);
    await heading(a, /^Compte rendu — Indicateurs du contrat$/);
    const link = a.getByRole('region', { name: 'Téléchargements' }).getByRole('link', { name: 'Indicateurs (CSV)' });
    assert.equal((await a.request.get(`${base}${await link.getAttribute('href')}`)).status(), 200);
    await a.goto(reportUrl);
    await heading(a, /^Compte rendu — Diagnostic du Cambrésis$/);
  });

  await step('edited in the page with a live preview; leaving with unsaved text asks first', async () => {
    await a.getByRole('button', { name: 'Modifier le compte rendu' }).click();
    const area = a.getByLabel('Texte du compte rendu');
    await area.waitFor();
    assert.match(await area.inputValue(), /^# Compte rendu — Diagnostic du Cambrésis/);
    await area.press('Control+End');
    await area.pressSequentially('\n## Synthèse du bureau\n\n- Priorité : **les soins non programmés**\n', { delay: 5 });
    const preview = a.getByRole('region', { name: 'Aperçu' });
    await preview.getByRole('heading', { name: 'Synthèse du bureau' }).waitFor();
    await preview.locator('strong', { hasText: 'les soins non programmés' }).waitFor();
    await assertAxeClean(a, 'the report editor');
    await a.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(a);
    await a.setViewportSize({ width: 1366, height: 900 });
    // Leaving asks; staying keeps the text.
    await a.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Bibliothèque', exact: true }).click();
    const dialog = a.getByRole('dialog', { name: 'Quitter sans enregistrer ?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    assert.match(await area.inputValue(), /## Synthèse du bureau/);
    await a.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await a.getByText('Le compte rendu modifié est enregistré.').waitFor();
    await a.locator('article.report').getByRole('heading', { name: 'Synthèse du bureau' }).waitFor();
    await a.getByText(/Modifié par Alice Animatrice le/).waitFor();
    const md = await (await a.request.get(`${base}/api/workshops/${w.id}/report.md`)).text();
    assert.match(md, /## Synthèse du bureau\n\n- Priorité : \*\*les soins non programmés\*\*/);
    // Generating again from the board asks first, since it replaces the edit.
    await a.getByRole('button', { name: 'Générer maintenant' }).click();
    const again = a.getByRole('dialog', { name: 'Générer à nouveau le compte rendu ?' });
    await again.waitFor();
    await again.getByRole('button', { name: 'Annuler' }).click();
    await a.locator('article.report').getByRole('heading', { name: 'Synthèse du bureau' }).waitFor();
  });

  await step('publishing to the library says first that the report names the people present', async () => {
    const publish = a.getByRole('button', { name: 'Publier dans la bibliothèque' });
    await publish.click();
    let ask = a.getByRole('dialog', { name: 'Publier le compte rendu dans la bibliothèque ?' });
    await ask.getByText(/Il nomme les personnes présentes, invités compris/).waitFor();
    await assertAxeClean(a, 'the publication question');
    await ask.getByRole('button', { name: 'Annuler' }).click();
    await ask.waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/api/library/mine')).items.length, 0, 'cancelled: nothing filed');
    await publish.click();
    ask = a.getByRole('dialog', { name: 'Publier le compte rendu dans la bibliothèque ?' });
    await ask.getByRole('button', { name: 'Publier', exact: true }).click();
    await a.getByText('Le compte rendu est publié dans la bibliothèque.').waitFor();
    await a.getByRole('link', { name: 'Voir la fiche' }).waitFor();
    const mine = (await api('GET', '/api/library/mine')).items;
    assert.equal(mine.length, 1);
    assert.equal(mine[0].state, 'published');
  });

  let code = '';
  await step('an invite link comes with a short code and a QR code, projected big for the room', async () => {
    await a.goto(`${base}/ateliers/${w.id}`);
    await heading(a, /^Diagnostic du Cambrésis$/);
    const form = a.getByRole('form', { name: 'Créer un lien d’invitation' });
    await form.getByLabel('Libellé (facultatif)').fill('Salle du conseil');
    await form.getByRole('button', { name: 'Créer le lien' }).click();
    const shown = a.locator('.invite-result .invite-code strong');
    await shown.waitFor();
    code = (await shown.textContent()).replace(/\s/g, '');
    assert.match(code, /^[A-HJ-NP-Z2-9]{6}$/);
    const qr = a.getByRole('img', { name: 'QR code du lien d’invitation (participant)' }).first();
    await qr.waitFor();
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code loads');
    await assertAxeClean(a, 'the workshop page with a new link, its code and QR code');
    await a.getByRole('button', { name: 'Afficher en grand pour la salle' }).click();
    const big = a.getByRole('dialog', { name: 'Rejoindre l’atelier « Diagnostic du Cambrésis »' });
    await big.waitFor();
    assert.equal((await big.locator('.invite-code-large').textContent()).replace(/\s/g, ''), code);
    await big.getByText(`${new URL(base).host}/code`).waitFor();
    await a.keyboard.press('Escape');
    await big.waitFor({ state: 'hidden' });
    assert.equal(await a.evaluate(() => document.activeElement?.textContent), 'Afficher en grand pour la salle');
  });

  await step('someone in the room types the code at /code and lands on the invitation', async () => {
    const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 390, height: 844 } });
    const p = await context.newPage();
    await watchPage(p, problems, {
      who: 'room',
      allow: (text, where) => isExpected401(text, where, ['/api/me'])
        || (/status of 404/.test(text) && Boolean(where) && new URL(where).pathname === '/api/invites/code'),
    });
    await p.goto(`${base}/connexion`);
    await p.getByRole('link', { name: 'Saisir le code de l’atelier' }).click();
    await waitForPath(p, '/code');
    await heading(p, /^Rejoindre un atelier avec un code$/);
    const field = p.getByLabel('Code de l’atelier');
    await field.fill('ZZZ ZZZ');
    await p.getByRole('button', { name: 'Continuer' }).click();
    await p.getByText(/Ce code d’atelier est inconnu|Ce code d'atelier est inconnu/).waitFor();
    assert.equal(await field.inputValue(), 'ZZZ ZZZ');
    await assertAxeClean(p, 'the code page with an error');
    await assertNoOverflow(p);
    await field.fill(`${code.slice(0, 3).toLowerCase()} ${code.slice(3)}`);
    await p.getByRole('button', { name: 'Continuer' }).click();
    await waitForPath(p, /^\/invitation\//);
    await heading(p, /^Invitation à un atelier$/);
    await p.getByText('Diagnostic du Cambrésis').waitFor();
    await p.getByLabel(/Votre nom/).fill('Chloé, infirmière');
    await p.getByRole('button', { name: /Rejoindre/ }).click();
    await waitForPath(p, `/ateliers/${w.id}/tableau`);
    await context.close();
  });

  await step('no console error nor CSP violation', async () => {
    // The report page asks for the report before there is one: that 404 is its empty state.
    const expected = new RegExp(`status of 404 \\(Not Found\\) \\(${base}/api/workshops/${w.id}/report\\)$`);
    assertNoProblems(problems.filter((x) => !expected.test(x)));
  });
}

runTest({ name: 'workshop_report.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
