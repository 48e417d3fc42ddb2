#!/usr/bin/env node
// Browser test of what a facilitator sends after a workshop and of hybrid arrivals:
// the compte rendu downloaded as PDF and ODT, edited in the page with a live preview
// (leaving with unsaved text asks first; the saved text is what is downloaded); an invite
// link shown with its short code and QR code, projected big for the room; someone in the
// room types the code at /code and lands on the invitation. Publishing the report to the
// library asks first (it names the people present). The indicators' export is
// offered only for a plan with indicators; the PDF is offered first and Markdown last.
// Participants' text is shown as written (CommonMark backslash escapes). On a device set
// to America/Guadeloupe every date and time is Paris time, and a workshop dated without
// an hour shows its day alone (workshop page, list, invitation, edit form). A closed
// workshop's board is « Voir le tableau »; a live workshop one belongs to is one click
// away from the home page. axe-core clean; no overflow at 390 px; no console error.
//
// Usage: node workshop_report.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  STEP_TIMEOUT_MS, addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, pathOf, runTest, signIn, signedIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };
const MEMBER = { email: 'bruno@test.fr', name: 'Bruno Membre', password: 'bruno mot de passe' };

/** "15:03": the hour of an instant in Paris, as the pages write it. */
const parisTime = (date) => new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', timeStyle: 'short' }).format(date);

async function run(relais) {
  const dataDir = await makeDataDir('relais-report-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  await addUser(relais, dataDir, MEMBER, 'membre');
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
    // The formats health professionals open come first; Markdown, jargon to them, last.
    const names = (await downloads.getByRole('link').allTextContents()).map((x) => x.trim());
    assert.equal(names[0], 'Compte rendu (PDF)', `PDF first: ${names.join(' / ')}`);
    assert.match(names[1], /^Compte rendu modifiable \(ODT/, `then ODT: ${names.join(' / ')}`);
    assert.equal(names.at(-1), 'Compte rendu (Markdown)', `Markdown last: ${names.join(' / ')}`);
    // A SWOT has no indicators: their export (a header alone) is not offered.
    await downloads.getByRole('link', { name: 'Plan d’action (CSV)' }).waitFor();
    assert.equal(await downloads.getByRole('link', { name: 'Indicateurs (CSV)' }).count(), 0, 'no indicators export for a SWOT');
  });

  let ind = null;
  await step('a workshop on the indicators offers their export', async () => {
    ind = (await api('POST', '/api/workshops', {
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

  await step('markdown.js resolves CommonMark backslash escapes: participants\' text shown as written', async () => {
    const cases = [
      ['2\\*3\\*4', '2*3*4'],
      ['\\*\\*pas du gras voulu\\*\\*', '**pas du gras voulu**'],
      ['*a\\*', '*a*'],
      ['\\# Pas un titre', '# Pas un titre'],
      ['\\- pas une liste', '- pas une liste'],
      ['1\\. pas une liste', '1. pas une liste'],
      ['\\> pas une citation', '> pas une citation'],
      ['délais \\< 15 jours \\& \\"vite\\" \\: 50 \\% \\@ARS \\/ 2\\$ \\= x\\? \\^ \\; \\, \\\'', 'délais < 15 jours & "vite" : 50 % @ARS / 2$ = x? ^ ; , \''],
      ['\\[lien\\] \\_a\\_ \\~b\\~ \\{c\\} \\|', '[lien] _a_ ~b~ {c} |'],
      ['C:\\Users \\é', 'C:\\Users \\é'],
      ['`a\\*b`', 'a\\*b'],
    ];
    const results = await a.evaluate(async (list) => {
      const { renderMarkdown } = await import('/js/markdown.js');
      return list.map(([source]) => {
        const node = renderMarkdown(source);
        return { text: node.textContent, tags: [...node.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()) };
      });
    }, cases);
    cases.forEach(([source, expected], k) => {
      assert.equal(results[k].text, expected, `${source} is shown as ${expected}`);
      const tags = results[k].tags.filter((x) => x !== 'p' && !(source.startsWith('`') && x === 'code'));
      assert.deepEqual(tags, [], `${source} gives no markup`);
    });
    // An escaped character in an address is resolved (a_b), and a table cell keeps an escaped pipe.
    const more = await a.evaluate(async () => {
      const { renderMarkdown } = await import('/js/markdown.js');
      const link = renderMarkdown('Voir https://exemple.fr/a\\_b.html\\.').querySelector('a');
      const cells = [...renderMarkdown('| A | B |\n|---|---|\n| x \\| y | z\\\\ |').querySelectorAll('td')].map((c) => c.textContent);
      return { href: link?.getAttribute('href'), text: link?.textContent, cells };
    });
    assert.deepEqual(more, { href: 'https://exemple.fr/a_b.html', text: 'https://exemple.fr/a_b.html', cells: ['x | y', 'z\\'] });
    // The page: a report whose participants' text is escaped shows it as written.
    const { report } = await api('GET', `/api/workshops/${ind.id}/report`);
    await api('PUT', `/api/workshops/${ind.id}/report`, {
      version: report.version,
      markdown: `${report.markdown}\n\n## Notes\n\n- Calcul : 2\\*3\\*4 \\*\\*pas du gras voulu\\*\\* \\# \\<15 jours\\>\n`,
    });
    await a.goto(`${base}/ateliers/${ind.id}/compte-rendu`);
    const item = a.locator('article.report li', { hasText: 'Calcul' });
    await item.waitFor();
    assert.equal((await item.textContent()).trim(), 'Calcul : 2*3*4 **pas du gras voulu** # <15 jours>');
    assert.equal(await item.locator('em, strong').count(), 0, 'no formatting from participants\' text');
  });

  await step('edited in the page with a live preview; leaving with unsaved text asks first', async () => {
    await a.goto(reportUrl);
    await heading(a, /^Compte rendu — Diagnostic du Cambrésis$/);
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
    // Shown as soon as it is in the page; loaded a moment later.
    await qr.evaluate((img) => (img.complete ? null : new Promise((done) => {
      img.addEventListener('load', done, { once: true });
      img.addEventListener('error', done, { once: true });
    })));
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

  // A phone set to the Antilles' time: every date is still Paris time, and a workshop dated
  // without an hour shows its day alone, never the day before.
  const antilles = await browser.newContext({
    locale: 'fr-FR', timezoneId: 'America/Guadeloupe', viewport: { width: 390, height: 844 },
  });
  const g = await antilles.newPage();
  g.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watchPage(g, problems, { who: 'antilles', allow: (text, where) => isExpected401(text, where, ['/api/me']) });
  const day = (await api('POST', '/api/workshops', {
    title: 'Atelier sans heure', stage: 'projet_sante', template: 'swot', date: '2026-12-03',
  })).workshop;
  await api('POST', `/api/workshops/${day.id}/state`, { state: 'live' });
  const DAY = 'jeudi 3 décembre 2026';

  await step('America/Guadeloupe: a workshop dated without an hour shows its day alone, everywhere', async () => {
    await signIn(g, base, ADMIN);
    assert.equal(await g.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'America/Guadeloupe');
    await g.goto(`${base}/ateliers/${day.id}`);
    await heading(g, /^Atelier sans heure$/);
    assert.equal((await g.locator('.workshop-state-line').textContent()).replace(/\s+/g, ' ').trim(), `En direct ${DAY}`);
    const row = g.locator('dl.details .details-row').filter({ has: g.locator('dt', { hasText: /^Date$/ }) });
    assert.equal((await row.locator('dd').textContent()).trim(), DAY);
    await assertAxeClean(g, 'the workshop page on a phone');
    await assertNoOverflow(g);
    // The edit form shows that day at 00:00; saved as it is, the date stays a day alone.
    await g.getByRole('button', { name: 'Modifier les informations' }).click();
    const form = g.getByRole('form', { name: 'Modifier les informations de l’atelier' });
    assert.equal(await form.getByLabel('Date et heure', { exact: true }).inputValue(), '2026-12-03T00:00');
    await form.getByLabel('Sujet', { exact: true }).fill('Un atelier daté d’un jour');
    await form.getByRole('button', { name: 'Enregistrer' }).click();
    await g.locator('dl.details').getByText('Un atelier daté d’un jour').waitFor();
    assert.equal((await api('GET', `/api/workshops/${day.id}`)).workshop.date, '2026-12-03');
    await g.goto(`${base}/ateliers`);
    const card = g.locator('.workshop-card', { hasText: 'Atelier sans heure' }).first();
    assert.equal((await card.locator('.workshop-card-date').textContent()).trim(), DAY);
    // A dated hour is the hour written (Paris local time), not shifted to the device's.
    const timed = g.locator('.workshop-card', { hasText: 'Diagnostic du Cambrésis' }).first();
    assert.equal((await timed.locator('.workshop-card-date').textContent()).trim(), 'jeudi 14 janvier 2027 à 14:00');
  });

  await step('America/Guadeloupe: « Produit le … » and chat times are Paris time', async () => {
    const { report } = await api('GET', `/api/workshops/${w.id}/report`);
    const paris = parisTime(new Date(report.generated_at));
    const local = new Intl.DateTimeFormat('fr-FR', { timeZone: 'America/Guadeloupe', timeStyle: 'short' })
      .format(new Date(report.generated_at));
    assert.notEqual(paris, local);
    await g.goto(reportUrl);
    await heading(g, /^Compte rendu — Diagnostic du Cambrésis$/);
    const produced = (await g.getByText(/^Produit le /).textContent()).match(/^Produit le ([^.]*)\./)[1];
    assert.match(produced, new RegExp(` à ${paris}$`), `« Produit le ${produced} » is in Paris time (${paris})`);
    // The helper the board's chat uses: unix milliseconds in Paris time.
    const at = Date.UTC(2026, 11, 2, 14, 1);
    assert.equal(await g.evaluate(async (ms) => (await import('/js/ateliers/common.js')).formatTime(ms), at), '15:01');
    // A chat message on the board.
    await g.goto(`${base}/ateliers/${day.id}/tableau`);
    await heading(g, /Atelier sans heure/);
    const side = g.getByRole('button', { name: 'Participants et discussion' });
    if (await side.getAttribute('aria-expanded') === 'false') await side.click();
    const before = parisTime(new Date());
    await g.locator('.board-side').getByLabel('Message', { exact: true }).fill('Bonjour depuis la Guadeloupe');
    await g.locator('.board-side').getByRole('button', { name: 'Envoyer' }).click();
    const line = g.locator('.chat-list li', { hasText: 'Bonjour depuis la Guadeloupe' });
    await line.locator('.chat-time').waitFor();
    const after = parisTime(new Date());
    const shown = (await line.locator('.chat-time').textContent()).trim();
    assert.ok([before, after].includes(shown), `chat time ${shown} is Paris time (${before})`);
  });

  // A guest of « Atelier sans heure » (on a phone), who comes back once it is closed.
  const links = [];
  let dayCode = '';
  const guest = await browser.newContext({ locale: 'fr-FR', timezoneId: 'America/Guadeloupe', viewport: { width: 390, height: 844 } });
  const p = await guest.newPage();
  p.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watchPage(p, problems, { who: 'invited', allow: (text, where) => isExpected401(text, where, ['/api/me']) });

  await step('the invitation says the date, or that there is none (« Date : non renseignée »)', async () => {
    const undated = (await api('POST', '/api/workshops', {
      title: 'Atelier non daté', stage: 'projet_sante', template: 'swot',
    })).workshop;
    await api('POST', `/api/workshops/${undated.id}/state`, { state: 'live' });
    for (const x of [day, undated]) {
      const { invite } = await api('POST', `/api/workshops/${x.id}/invites`, { role: 'participant' });
      links.push(invite.path);
      if (x === day) dayCode = invite.code;
    }
    const box = p.locator('.invitation-workshop');
    await p.goto(`${base}${links[0]}`);
    await heading(p, /^Invitation à un atelier$/);
    await box.getByText('Atelier sans heure').waitFor();
    await box.getByText(/^Date\s:\sjeudi 3 décembre 2026$/).waitFor();
    await p.goto(`${base}${links[1]}`);
    await box.getByText('Atelier non daté').waitFor();
    await box.getByText(/^Date\s:\snon renseignée$/).waitFor();
    assert.equal(await box.getByText(/^Non renseigné$/).count(), 0, 'no bare « Non renseigné »');
    // The workshop page and the list say it the same way.
    await a.goto(`${base}/ateliers/${undated.id}`);
    await heading(a, /^Atelier non daté$/);
    assert.equal((await a.locator('.workshop-state-line').textContent()).replace(/\s+/g, ' ').trim(), 'En direct Date non renseignée');
    await a.goto(`${base}/ateliers`);
    await a.locator('.workshop-card', { hasText: 'Atelier non daté' }).first().locator('.workshop-card-date', { hasText: /^Date non renseignée$/ }).waitFor();
    await assertAxeClean(p, 'the invitation to an undated workshop');
    await assertNoOverflow(p);
  });

  await step('a guest who opens their link again is not asked their name again: « Rejoindre le tableau »', async () => {
    await p.goto(`${base}${links[0]}`);
    await heading(p, /^Invitation à un atelier$/);
    await p.getByLabel('Votre nom', { exact: true }).fill('Dora');
    await p.getByRole('button', { name: 'Rejoindre l’atelier' }).click();
    await waitForPath(p, `/ateliers/${day.id}/tableau`);
    await heading(p, /Atelier sans heure/);
    await p.goto(`${base}${links[0]}`);
    await heading(p, /^Invitation à un atelier$/);
    await p.getByText(/^Vous participez à cet atelier sous le nom\s«\sDora\s»\.$/).waitFor();
    assert.equal(await p.getByLabel('Votre nom', { exact: true }).count(), 0, 'no name asked again');
    assert.equal(await p.getByText('L’atelier est clos.').count(), 0);
    await p.getByRole('link', { name: 'Rejoindre le tableau', exact: true }).click();
    await waitForPath(p, `/ateliers/${day.id}/tableau`);
    await heading(p, /Atelier sans heure/);
  });

  const guestHeading = /^Vous êtes invité·e à l’atelier\s«\sAtelier sans heure\s»$/;
  await step('a guest who opens « / » is greeted with their workshop, not the account sign-in', async () => {
    await p.goto(`${base}/`);
    await heading(p, guestHeading);
    assert.equal(pathOf(p), '/', 'not sent to /connexion');
    assert.equal(await p.getByLabel('Mot de passe', { exact: true }).count(), 0, 'no account sign-in form');
    await p.getByRole('button', { name: 'Quitter l’atelier', exact: true }).waitFor();
    assert.equal(await p.getByRole('link', { name: 'Lire le compte rendu' }).count(), 0, 'not closed: no report yet');
    await p.getByText(/^Vous avez un compte\s\?\sSe connecter$/).waitFor();
    await assertAxeClean(p, 'the home page of a guest');
    await assertNoOverflow(p);
    await p.getByRole('link', { name: 'Rejoindre le tableau', exact: true }).click();
    await waitForPath(p, `/ateliers/${day.id}/tableau`);
    await heading(p, /Atelier sans heure/);
  });

  await step('a closed workshop\'s board is « Voir le tableau »', async () => {
    await g.goto(`${base}/ateliers/${day.id}`);
    await heading(g, /^Atelier sans heure$/);
    await g.getByRole('link', { name: 'Rejoindre le tableau', exact: true }).waitFor();
    await api('POST', `/api/workshops/${day.id}/state`, { state: 'closed' });
    await g.reload();
    await heading(g, /^Atelier sans heure$/);
    await g.getByRole('link', { name: 'Voir le tableau', exact: true }).waitFor();
    assert.equal(await g.getByRole('link', { name: 'Rejoindre le tableau' }).count(), 0);
    await antilles.close();
  });

  await step('once closed, the guest comes back through the link (or its code) and reaches the compte rendu; others are told it is closed', async () => {
    await p.goto(`${base}${links[0]}`);
    await heading(p, /^Invitation à un atelier$/);
    await p.getByText(/^Vous participez à cet atelier sous le nom\s«\sDora\s»\.$/).waitFor();
    await p.getByText('L’atelier est clos.', { exact: true }).waitFor();
    assert.equal(await p.getByLabel('Votre nom', { exact: true }).count(), 0, 'no name asked: the workshop takes no one new');
    assert.equal(await p.getByRole('link', { name: 'Rejoindre le tableau' }).count(), 0);
    await p.getByRole('link', { name: 'Voir le tableau', exact: true }).waitFor();
    await assertAxeClean(p, 'the invitation of a closed workshop, to its own guest');
    await assertNoOverflow(p);
    await p.getByRole('link', { name: 'Lire le compte rendu', exact: true }).click();
    await waitForPath(p, `/ateliers/${day.id}/compte-rendu`);
    await heading(p, /^Compte rendu — Atelier sans heure$/);
    await p.locator('article.report').getByRole('heading', { name: /Participants/ }).waitFor();
    await p.locator('article.report').getByText(/Dora/).first().waitFor();
    // The link's code brings the guest to the same page.
    await p.goto(`${base}/code`);
    await p.getByLabel('Code de l’atelier').fill(dayCode);
    await p.getByRole('button', { name: 'Continuer' }).click();
    await waitForPath(p, links[0]);
    await p.getByRole('link', { name: 'Lire le compte rendu', exact: true }).waitFor();
    // « / » too: the workshop closed, its report.
    await p.goto(`${base}/`);
    await heading(p, guestHeading);
    await p.getByText('L’atelier est clos.', { exact: true }).waitFor();
    assert.equal(await p.getByRole('link', { name: 'Rejoindre le tableau' }).count(), 0);
    await p.getByRole('link', { name: 'Se connecter', exact: true }).waitFor();
    await p.getByRole('link', { name: 'Lire le compte rendu', exact: true }).click();
    await waitForPath(p, `/ateliers/${day.id}/compte-rendu`);
    await heading(p, /^Compte rendu — Atelier sans heure$/);
    await guest.close();
    // Anyone else: the server's word that the workshop is closed, as it is.
    const other = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 390, height: 844 } });
    const q = await other.newPage();
    q.setDefaultTimeout(STEP_TIMEOUT_MS);
    await watchPage(q, problems, {
      who: 'stranger',
      allow: (text, where) => isExpected401(text, where, ['/api/me']) || /status of 404/.test(text),
    });
    await q.goto(`${base}${links[0]}`);
    await q.getByText(/^Cet atelier est clos\s:\sil n[’']accueille plus personne\./).waitFor();
    assert.equal(await q.getByLabel('Votre nom', { exact: true }).count(), 0);
    await q.goto(`${base}/code`);
    await q.getByLabel('Code de l’atelier').fill(dayCode);
    await q.getByRole('button', { name: 'Continuer' }).click();
    await q.getByText(/^Cet atelier est clos\s:/).waitFor();
    await assertAxeClean(q, 'the code of a closed workshop, to someone else');
    await other.close();
  });

  await step('the home page leads to the live workshops one belongs to', async () => {
    // Alice facilitates « Diagnostic du Cambrésis » (live) and « Atelier sans heure » (closed).
    await a.goto(`${base}/`);
    await heading(a, /^Bienvenue/);
    const shortcut = a.locator('.home-live-item', { hasText: 'Diagnostic du Cambrésis' });
    assert.match((await shortcut.textContent()).replace(/\s+/g, ' '), /^Atelier en cours : Diagnostic du Cambrésis — Rejoindre le tableau$/);
    assert.equal(await a.locator('.home-live-item', { hasText: 'Atelier sans heure' }).count(), 0, 'not a closed one');
    await assertAxeClean(a, 'the home page with live workshops');
    // Bruno, a member of none: nothing; once a participant, the shortcut to the board.
    const { page: b, call: asBruno } = await signedIn(browser, base, MEMBER, problems, { who: 'bruno' });
    await heading(b, /^Bienvenue/);
    await b.locator('.cards').waitFor();
    assert.equal(await b.locator('.home-live-item').count(), 0, 'no live workshop of Bruno\'s');
    const me = (await asBruno('GET', '/api/me')).user;
    await api('POST', `/api/workshops/${w.id}/members`, { user_id: me.id });
    await b.reload();
    await heading(b, /^Bienvenue/);
    await b.setViewportSize({ width: 390, height: 844 });
    const item = b.locator('.home-live-item');
    await item.waitFor();
    assert.equal(await item.count(), 1);
    assert.match((await item.textContent()).replace(/\s+/g, ' '), /^Atelier en cours : Diagnostic du Cambrésis — Rejoindre le tableau$/);
    await assertAxeClean(b, 'the home page of a participant of a live workshop');
    await assertNoOverflow(b);
    await item.getByRole('link', { name: 'Rejoindre le tableau' }).click();
    await waitForPath(b, `/ateliers/${w.id}/tableau`);
    await heading(b, /Diagnostic du Cambrésis/);
  });

  await step('no console error nor CSP violation', async () => {
    // The report page asks for the report before there is one: that 404 is its empty state.
    const expected = new RegExp(`status of 404 \\(Not Found\\) \\(${base}/api/workshops/${w.id}/report\\)$`);
    assertNoProblems(problems.filter((x) => !expected.test(x)));
  });
}

runTest({ name: 'workshop_report.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
