#!/usr/bin/env node
// Browser test of the library: a member searches the seed library as they type,
// narrows by a facet, opens an item and downloads its attachment, then submits a
// testimony with an attached file (its Markdown carries a script and a javascript:
// link, which must render inert); an animateur publishes it from the review queue
// and the member finds it by search. The member revises it (a word of the text, the title,
// a phase): the reviewer sees what changed since the version online, words struck and
// underlined, unchanged lines folded, and compares two versions from the history. Then a
// question finds the letter-of-intent fiches,
// spelling suggestions make sense, prefixes are highlighted, and on a phone (390 px) the
// filters are collapsed above the results, « Réinitialiser les filtres » empties them,
// axe finds nothing and nothing scrolls sideways. The review queue says who wrote each
// fiche, which version, who saved it and when, new or a new version of one online; a
// fiche sent back opens for changes with the request above the text; no fiche found
// offers ways out.
//
// Usage: node library.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  STEP_TIMEOUT_MS, addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser,
  log, makeDataDir, newPage, pathOf, runTest, signIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;
const MEMBER = { email: 'camille@test.fr', name: 'Camille Coordinatrice', password: 'camille mot de passe' };
const REVIEWER = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };
const TITLE = 'Notre CPTS et les kinésithérapeutes du Ternois';

const cards = (page) => page.locator('main .library-results li.card');
const fold = (text) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

// Searches `text` from the library page (typed, then Enter) and waits for its answer.
async function search(page, text) {
  const box = page.getByLabel('Rechercher dans la bibliothèque', { exact: true });
  await box.fill(text);
  const answered = page.waitForResponse((r) => r.url().includes('/api/library/search?') && r.url().includes('q='));
  await box.press('Enter');
  await answered;
  // The page draws the answer right after it arrives.
  await page.waitForFunction((q) => new URLSearchParams(location.search).get('q') === q, text);
}

async function run(relais) {
  const dataDir = await makeDataDir('relais-library-');
  await addUser(relais, dataDir, MEMBER, 'membre');
  await addUser(relais, dataDir, REVIEWER, 'animateur');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);

  await launchBrowser();
  const problems = [];
  const { page: m } = await newPage();
  const { page: r } = await newPage();
  // Before signing in, the shell's session check answers 401: expected.
  const allow = (text, where) => isExpected401(text, where, ['/api/me']);
  await watchPage(m, problems, { who: 'member', allow });
  await watchPage(r, problems, { who: 'reviewer', allow });

  await step('the member opens the library: the seed content is there', async () => {
    await signIn(m, base, MEMBER);
    await m.getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Bibliothèque', exact: true }).click();
    await waitForPath(m, '/bibliotheque');
    await heading(m, /^Bibliothèque$/);
    await m.getByRole('status').filter({ hasText: /\d+ fiches/ }).first().waitFor();
    assert.ok(await cards(m).count() >= 5, 'the library lists items on first start');
  });

  await step('search as you type, accent-free, with highlighted snippets', async () => {
    await m.getByLabel('Rechercher dans la bibliothèque', { exact: true }).pressSequentially('modele lettre intention', { delay: 20 });
    await m.locator('main .library-results li.card').first()
      .filter({ hasText: /lettre d.intention/i }).waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.match(m.url(), /q=modele/, 'the query is in the address');
    assert.ok(await m.locator('main .library-results .snippet mark').count() > 0, 'matched words are highlighted');
    // Suggestions as you type: links to the first items.
    assert.ok(await m.locator('main .typeahead a').count() > 0, 'title suggestions are offered');
    // From the keyboard: Down into them, Up back to the words, Escape closes them and keeps the words.
    const box = m.getByLabel('Rechercher dans la bibliothèque', { exact: true });
    // The suggestions of the last words typed are drawn (an earlier answer may still redraw them).
    await m.locator('main .typeahead a').first().waitFor({ state: 'visible' });
    await m.waitForLoadState('networkidle');
    await box.press('ArrowDown');
    await m.waitForFunction(() => document.activeElement?.closest('.typeahead') !== null, null, { timeout: 3000 }).catch(() => {});
    assert.ok(await m.evaluate(() => document.activeElement.closest('.typeahead') !== null), 'Down goes to the first title');
    await m.keyboard.press('ArrowUp');
    assert.equal(await m.evaluate(() => document.activeElement.name), 'q');
    await box.press('Escape');
    assert.equal(await m.locator('main .typeahead a').count(), 0);
    assert.equal(await box.inputValue(), 'modele lettre intention');
  });

  await step('a facet chosen keeps its other values, with what each would give (OR within a facet)', async () => {
    const back = m.url();
    await m.goto(`${base}/bibliotheque?kind=outil`);
    const facet = m.getByRole('group', { name: 'Type', exact: true });
    await facet.getByLabel(/^Outil \(\d+\)$/).waitFor();
    await facet.getByLabel(/^Guide \(\d+\)$/).waitFor();
    assert.equal(await facet.getByLabel(/^Guide/).isChecked(), false);
    await m.goto(back);  // the search of the step before, for the next steps
    await m.locator('main .library-results li.card').first().waitFor();
  });

  await step('filter by a facet ("Type" → "Outil")', async () => {
    const facet = m.getByRole('group', { name: 'Type', exact: true });
    await facet.getByLabel(/^Outil \(\d+\)$/).check();
    await m.waitForFunction(() => /kind=outil/.test(location.search));
    await m.waitForFunction(() => {
      const badges = [...document.querySelectorAll('main .library-results .badge-kind')];
      return badges.length > 0 && badges.every((b) => b.textContent === 'Outil');
    }, null, { timeout: STEP_TIMEOUT_MS });
  });

  await step('open an item and download its attachment', async () => {
    const first = cards(m).first().getByRole('link');
    const title = (await first.textContent()).trim();
    await first.click();
    await waitForPath(m, /^\/bibliotheque\/\d+$/);
    await heading(m, title);
    const attachments = m.getByRole('region', { name: 'Pièces jointes' });
    await attachments.waitFor();
    const link = attachments.getByRole('link').first();
    const [download] = await Promise.all([m.waitForEvent('download'), link.click()]);
    const file = await download.path();
    const content = await readFile(file, 'utf8');
    assert.ok(content.length > 100, 'the downloaded attachment has content');
    assert.equal(download.suggestedFilename(), (await link.textContent()).trim());
    await m.getByRole('heading', { name: 'Dans le même esprit' }).waitFor();
  });

  await step('an acronym of a fiche opens the glossary at its entry, focused', async () => {
    await m.goto(`${base}/bibliotheque`);
    await cards(m).first().waitFor();
    // A fiche that uses acronyms: the seed's phase guides all say « CPTS ».
    await m.goto(`${base}/bibliotheque?q=CPTS`);
    await cards(m).first().getByRole('link').click();
    await waitForPath(m, /^\/bibliotheque\/\d+$/);
    const acronyms = m.getByRole('region', { name: 'Sigles de cette fiche' });
    const first = acronyms.getByRole('link').first();
    const term = (await first.textContent()).trim();
    await first.click();
    await waitForPath(m, '/bibliotheque/glossaire');
    assert.equal(new URL(m.url()).hash, `#sigle-${term}`);
    await m.waitForFunction((id) => document.activeElement?.id === id, `sigle-${term}`);
    assert.ok(await m.evaluate((id) => { const r = document.getElementById(id).getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; },
      `sigle-${term}`), 'the entry is on screen');
  });

  await step('a long fiche opens on a « Sommaire » whose links go to its sections', async () => {
    await m.goto(`${base}/bibliotheque?q=${encodeURIComponent('grille de validation lettre d’intention')}`);
    await cards(m).filter({ hasText: 'Grille de validation sous forme de check-list' }).first().getByRole('link').click();
    await waitForPath(m, /^\/bibliotheque\/\d+$/);
    const toc = m.getByRole('navigation', { name: 'Sommaire' });
    const link = toc.getByRole('link', { name: '3. Le territoire de départ' });
    await link.waitFor();
    assert.ok(await toc.getByRole('listitem').count() >= 4);
    await link.click();
    await m.waitForURL((url) => url.hash === '#section-3-le-territoire-de-depart');
    const target = m.getByRole('heading', { name: '3. Le territoire de départ' });
    await m.waitForFunction(() => { const r = document.getElementById('section-3-le-territoire-de-depart').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; });
    // The address opens there too (a link sent to someone).
    await m.reload();
    await target.waitFor();
    await m.waitForFunction(() => { const r = document.getElementById('section-3-le-territoire-de-depart')?.getBoundingClientRect(); return r && r.top >= 0 && r.top < innerHeight; });
    await assertAxeClean(m, 'a long fiche with its table of contents');
  });

  let itemPath = '';
  await step('the member submits a testimony with a file; its Markdown renders inert', async () => {
    await m.goto(`${base}/bibliotheque/proposer`);
    await heading(m, /^Proposer une fiche$/);
    const form = m.locator('main form');
    await form.getByLabel('Type de fiche', { exact: true }).selectOption('temoignage');
    await form.getByLabel('Titre', { exact: true }).fill(TITLE);
    await form.getByLabel('Résumé', { exact: true }).fill('Comment les kinésithérapeutes ont rejoint la CPTS.');
    await form.getByLabel('Texte', { exact: true }).fill(
      '## Ce qui a marché\n\nUne soirée **interprofessionnelle** sur la lombalgie.\n\n'
      + '<script>window.pwned = true</script>\n\n[cliquez](javascript:window.pwned=true) [ailleurs](/\\\\evil.example/x)\n\n'
      // Lines that would make a backtracking parser hang, and quotes nested 200 deep.
      + `## a${' '.repeat(3000)}b\n\n| a | b |\n-${' '.repeat(30000)}x\n\n${'>'.repeat(200)} profond`);
    await form.getByRole('group', { name: 'Phase du projet' }).getByLabel('Émergence', { exact: true }).check();
    await form.getByLabel('Ajouter des fichiers', { exact: true }).setInputFiles({
      name: 'programme-soiree.md', mimeType: 'text/markdown',
      buffer: Buffer.from('# Programme\n\nSoirée lombalgie : kinésithérapeutes, médecins, pharmaciens.\n'),
    });
    await m.getByRole('status').filter({ hasText: 'programme-soiree.md est joint.' }).waitFor();
    await form.getByRole('button', { name: 'Envoyer pour relecture' }).click();
    await waitForPath(m, /^\/bibliotheque\/\d+$/);
    itemPath = pathOf(m);
    await heading(m, TITLE);
    await m.getByText('Cette version attend une relecture').waitFor();
    const body = m.locator('main .item-body');
    await body.getByText('<script>window.pwned = true</script>').waitFor();
    assert.equal(await body.locator('script').count(), 0, 'no script element');
    assert.equal(await body.locator('a[href^="javascript"]').count(), 0, 'no javascript: link');
    assert.equal(await body.locator('a[href*="evil"]').count(), 0, 'no link leaving the site through /\\\\');
    await body.getByText('profond').waitFor();
    assert.equal(await m.evaluate(() => window.pwned), undefined);
    assert.equal(await m.getByRole('navigation', { name: 'Sommaire' }).count(), 0, 'two sections: no table of contents');
  });

  await step('the animateur publishes it from the review queue', async () => {
    await signIn(r, base, REVIEWER);
    await r.goto(`${base}/bibliotheque`);
    await r.getByRole('link', { name: 'Relecture', exact: true }).click();
    await waitForPath(r, '/bibliotheque/relecture');
    // The queue says each fiche's state and when it last changed.
    const card = r.locator('.library-card').filter({ hasText: TITLE });
    await card.getByText('En attente de relecture').waitFor();
    await card.getByText(/^Mise à jour le /).waitFor();
    await r.getByRole('link', { name: TITLE }).click();
    await waitForPath(r, itemPath);
    // A note for the author, begun then the dialog closed: it is there when it opens again.
    await r.getByRole('button', { name: 'Demander des modifications', exact: true }).click();
    const dialog = r.getByRole('dialog', { name: 'Demander des modifications' });
    await dialog.getByLabel('Message pour l’auteur').fill('Précisez le territoire, merci.');
    await r.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await r.getByRole('button', { name: 'Demander des modifications', exact: true }).click();
    assert.equal(await dialog.getByLabel('Message pour l’auteur').inputValue(), 'Précisez le territoire, merci.');
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    await r.getByRole('button', { name: 'Publier', exact: true }).click();
    await r.getByRole('status').filter({ hasText: 'Fiche publiée.' }).waitFor();
  });

  await step('the member finds the published testimony by search', async () => {
    await m.goto(`${base}/bibliotheque`);
    const box = m.getByLabel('Rechercher dans la bibliothèque', { exact: true });
    // The indexer works in the background: search until it shows up.
    for (let i = 0; i < 20; i += 1) {
      await box.fill('kinesitherapeutes Ternois');
      await box.press('Enter');
      try {
        await cards(m).filter({ hasText: TITLE }).waitFor({ timeout: 1000 });
        break;
      } catch {
        if (i === 19) throw new Error('the published testimony is not found by search');
      }
    }
  });

  const NEW_TITLE = `${TITLE}, deux ans après`;
  const SINCE_ONLINE = 'Modifications depuis la version en ligne (version 1)';
  await step('the member revises the published testimony: a word of the text, the title, a phase', async () => {
    await m.goto(`${base}${itemPath}/modifier`);
    await heading(m, /^Modifier la fiche$/);
    const form = m.locator('main form');
    await form.getByLabel('Titre', { exact: true }).fill(NEW_TITLE);
    const text = form.getByLabel('Texte', { exact: true });
    const source = await text.inputValue();
    assert.ok(source.includes('**interprofessionnelle**'), 'the editor holds the text as written');
    await text.fill(source.replace('**interprofessionnelle**', '**pluriprofessionnelle**'));
    await form.getByRole('group', { name: 'Phase du projet' }).getByLabel('Diagnostic territorial', { exact: true }).check();
    await form.getByLabel('Ce qui change', { exact: true }).fill('Titre et phase précisés.');
    await form.getByRole('button', { name: 'Enregistrer la nouvelle version' }).click();
    await waitForPath(m, itemPath);
    await heading(m, NEW_TITLE);
    await m.getByText('Cette version attend une relecture').waitFor();
    // Its author sees what the reviewer will see.
    await m.getByRole('region', { name: SINCE_ONLINE }).locator('.diff-body ins', { hasText: 'pluriprofessionnelle' }).waitFor();
  });

  await step('the reviewer sees what changed since the version online, before the text', async () => {
    await r.setViewportSize({ width: 1366, height: 900 });
    await r.goto(`${base}${itemPath}`);
    await heading(r, NEW_TITLE);
    const changes = r.getByRole('region', { name: SINCE_ONLINE });
    const text = changes.locator('.diff-body');
    await text.locator('del', { hasText: 'interprofessionnelle' }).waitFor();
    await text.locator('ins', { hasText: 'pluriprofessionnelle' }).waitFor();
    // Said to screen readers, not only shown.
    assert.match(await text.locator('del').first().textContent(), /^début de suppression\u00A0: .*interprofessionnelle.*fin de suppression/);
    const fields = changes.locator('dl.diff-fields');
    const row = (label) => fields.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]');
    assert.equal((await row('Titre').locator('del').textContent()).replace('avant\u00A0: ', ''), TITLE);
    assert.equal((await row('Titre').locator('ins').textContent()).replace('après\u00A0: ', ''), NEW_TITLE);
    assert.equal(await row('Phase ajoutée').textContent(), 'Diagnostic territorial');
    assert.deepEqual(await fields.locator('dt').allTextContents(), ['Titre\u00A0:', 'Phase ajoutée\u00A0:'], 'only what changed');
    await changes.getByText('Texte retiré', { exact: true }).waitFor();
    assert.ok(await r.evaluate(() => {
      const section = document.getElementById('modifications');
      return Boolean(section.compareDocumentPosition(document.querySelector('main .item-body')) & Node.DOCUMENT_POSITION_FOLLOWING);
    }), 'the changes come before the text');
    await r.getByRole('button', { name: 'Publier', exact: true }).waitFor();
    await assertAxeClean(r, 'a revision with its changes (1366 px)');
  });

  await step('unchanged lines are folded and open in place from the keyboard; nothing scrolls sideways at 390 px', async () => {
    const changes = r.getByRole('region', { name: SINCE_ONLINE });
    const text = changes.locator('.diff-body');
    const fold = text.getByRole('button', { name: /^Afficher les \d+ lignes inchangées$/ });
    assert.equal(await fold.count(), 1);
    assert.equal(await text.getByText('profond', { exact: false }).count(), 0, 'the far lines are folded');
    // Two lines of context around the change stay.
    assert.ok((await text.textContent()).includes('## Ce qui a marché'));
    await r.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(r);
    await fold.focus();
    await r.keyboard.press('Enter');
    await text.getByText('profond', { exact: false }).waitFor();
    assert.equal(await fold.count(), 0);
    assert.equal(await r.evaluate(() => document.activeElement.classList.contains('diff-unfolded')), true, 'the focus is on the lines shown');
    await assertNoOverflow(r);
    await assertAxeClean(r, 'a revision with its changes unfolded (390 px)');
  });

  await step('« Comparer avec la version précédente » in the history; a version that is not there is said', async () => {
    await r.setViewportSize({ width: 1366, height: 900 });
    const history = r.getByRole('region', { name: 'Historique des versions' });
    const compare = history.getByRole('link', { name: 'Comparer avec la version précédente' });
    assert.equal(await compare.count(), 1, 'each version after the first');
    await compare.click();
    await r.waitForURL((url) => url.searchParams.get('version') === '2' && url.searchParams.get('comparer') === '1');
    const changes = r.getByRole('region', { name: 'Modifications depuis la version 1' });
    await changes.locator('.diff-body ins', { hasText: 'pluriprofessionnelle' }).waitFor();
    await r.waitForFunction(() => document.activeElement?.id === 'modifications');
    // A version the fiche does not have: the page still shows it, the section says why.
    for (const asked of ['9', 'deux']) {
      await r.goto(`${base}${itemPath}?comparer=${asked}`);
      await heading(r, NEW_TITLE);
      await r.getByRole('region', { name: 'Modifications', exact: true }).getByText(/^Comparaison impossible/).waitFor();
      await r.locator('main .item-body').getByText('pluriprofessionnelle').waitFor();
    }
    await assertAxeClean(r, 'a comparison with a version that is not there');
  });

  await step('a question finds the letter-of-intent fiches first', async () => {
    await m.goto(`${base}/bibliotheque`);
    await heading(m, /^Bibliothèque$/);
    await search(m, 'comment rédiger la lettre d’intention ?');
    await m.waitForFunction(() => {
      const titles = [...document.querySelectorAll('main .library-results li.card h2, main .library-results li.card h3')]
        .slice(0, 3).map((el) => el.textContent);
      return titles.length === 3 && titles.every((x) => /lettre d.intention/i.test(x));
    }, null, { timeout: STEP_TIMEOUT_MS });
    assert.ok(await cards(m).count() >= 5, 'a question finds more than the fiches with every word');
    assert.equal(await m.locator('main .search-suggestion button').count(), 0, 'no suggestion for a question that finds enough');
  });

  await step('spelling suggestions make sense', async () => {
    await search(m, 'diagnostique territorial');
    // Nothing has the words as typed: the corrected words' results, said as such (no
    // « Essayez avec » for what is already done).
    await m.locator('main .search-suggestion').getByText(/Aucun résultat pour «\s*diagnostique territorial\s*»\.\s*Résultats pour «\s*diagnostic territorial\s*»/).waitFor();
    assert.equal(await m.locator('main .search-suggestion button').count(), 0);
    await cards(m).first().filter({ hasText: /diagnostic territorial/i }).waitFor();
    // Words the library has are never "corrected" (« elle documentaire » used to be offered).
    await search(m, 'veille documentaire');
    await m.waitForFunction(() => !document.querySelector('main .search-suggestion button'), null, { timeout: STEP_TIMEOUT_MS })
      .catch(() => { throw new Error('« veille documentaire » gets a suggestion'); });
    await cards(m).first().filter({ hasText: /veille/i }).waitFor();
  });

  await step('a prefix is highlighted where it starts a word', async () => {
    await search(m, 'coord');
    // « coord » is no word's stem: only the prefix can mark « coordination », « coordonnateur »…
    await m.waitForFunction(() => {
      const marks = [...document.querySelectorAll('main .library-results .snippet mark')].map((x) => x.textContent);
      return marks.length > 0 && marks.every((x) => /^coord/i.test(x));
    }, null, { timeout: STEP_TIMEOUT_MS });
    const marks = await m.locator('main .library-results .snippet mark').allTextContents();
    for (const mark of marks) assert.ok(fold(mark).startsWith('coord'), `« ${mark} » does not start with the prefix`);
  });

  await step('on a wide screen the filters are open beside the results', async () => {
    await m.goto(`${base}/bibliotheque`);
    await heading(m, /^Bibliothèque$/);
    const filters = m.locator('main details.filters');
    assert.equal(await filters.getAttribute('open'), '', 'open on a wide screen');
    await m.getByRole('group', { name: 'Type', exact: true }).waitFor();
    await assertAxeClean(m, '/bibliotheque (wide)');
  });

  await step('on a phone the filters are collapsed above the results; « Réinitialiser les filtres »', async () => {
    await m.setViewportSize({ width: 390, height: 844 });
    await m.goto(`${base}/bibliotheque`);
    await heading(m, /^Bibliothèque$/);
    await cards(m).first().waitFor();
    const summary = m.locator('main details.filters > summary');
    assert.equal(await m.locator('main details.filters').getAttribute('open'), null, 'closed on a phone');
    assert.equal((await summary.textContent()).trim(), 'Filtrer');
    const first = await cards(m).first().boundingBox();
    assert.ok(first.y + 40 < 844, `the first result starts in the first screen (at ${Math.round(first.y)} px)`);
    assert.equal(await m.getByRole('button', { name: 'Réinitialiser les filtres' }).count(), 0, 'nothing to reset yet');
    await assertNoOverflow(m);
    await assertAxeClean(m, '/bibliotheque at 390 px, filters closed');
    // By keyboard: open the filters, tick a type.
    await summary.focus();
    await m.keyboard.press('Enter');
    await m.getByRole('group', { name: 'Type', exact: true }).getByLabel(/^Outil \(\d+\)$/).check();
    await m.waitForFunction(() => /kind=outil/.test(location.search));
    await m.waitForFunction(() => document.querySelector('main details.filters > summary').textContent.trim() === 'Filtrer (1)');
    await assertNoOverflow(m);
    await assertAxeClean(m, '/bibliotheque at 390 px, a filter on');
    const reset = m.getByRole('button', { name: 'Réinitialiser les filtres' });
    await reset.focus();
    await m.keyboard.press('Enter');
    await m.waitForFunction(() => !/kind=/.test(location.search));
    await m.waitForFunction(() => document.querySelector('main details.filters > summary').textContent.trim() === 'Filtrer');
    assert.equal(await reset.count(), 0, 'the button goes once nothing is filtered');
    assert.equal(await m.evaluate(() => document.activeElement.tagName), 'SUMMARY', 'the focus goes back to the filters');
    assert.equal(await m.getByRole('group', { name: 'Type', exact: true }).getByLabel(/^Outil/).isChecked(), false);
    // A question on the phone: the answer, highlighted, without sideways scrolling.
    await search(m, 'quelles conditions pour obtenir le soutien à l’amorçage ?');
    await cards(m).first().filter({ hasText: /financement d.amorçage/ }).waitFor();
    await assertNoOverflow(m);
  });

  await step('a pending fiche archived by a reviewer reads « Archivée » in its author’s contributions', async () => {
    await m.setViewportSize({ width: 1366, height: 900 });
    const id = await m.evaluate(async () => {
      const r = await fetch('/api/library/items', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ kind: 'temoignage', title: 'Une fiche en double', summary: 'Déjà proposée.', body: 'Doublon.' }),
      });
      return (await r.json()).item.id;
    });
    const archived = await r.evaluate(async (fiche) => (await fetch(`/api/library/items/${fiche}/archive`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ archived: true }),
    })).status, id);
    assert.equal(archived, 200);
    await m.goto(`${base}/bibliotheque/mes-contributions`);
    const card = m.locator('.library-card').filter({ hasText: 'Une fiche en double' });
    await card.getByText('Archivée', { exact: true }).waitFor();
    assert.equal(await card.getByText('En attente de relecture').count(), 0);
    await assertAxeClean(m, 'the contributions with an archived fiche');
  });

  await step('the review queue says who wrote each fiche, which version, who saved it and when, new or a new version of one online', async () => {
    await r.setViewportSize({ width: 1366, height: 900 });
    await m.evaluate(async () => {
      await fetch('/api/library/items', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ kind: 'outil', title: 'Une grille toute neuve', summary: 'Pour tester la file.', body: 'Grille.' }),
      });
    });
    await r.goto(`${base}/bibliotheque/relecture`);
    await heading(r, /^Relecture$/);
    const fresh = r.locator('.library-card').filter({ hasText: 'Une grille toute neuve' });
    await fresh.getByText('Nouvelle fiche', { exact: true }).waitFor();
    await fresh.getByText(`Proposée par ${MEMBER.name}`, { exact: true }).waitFor();
    await fresh.getByText(new RegExp(`^Version 1 enregistrée par ${MEMBER.name} le \\d{1,2}(er)? [a-zéû]+ \\d{4} à \\d{2}:\\d{2}$`)).waitFor();
    const revised = r.locator('.library-card').filter({ hasText: NEW_TITLE });
    await revised.getByText('Nouvelle version d’une fiche en ligne (version 1 en ligne)', { exact: true }).waitFor();
    await revised.getByText(new RegExp(`^Version 2 enregistrée par ${MEMBER.name} le `)).waitFor();
    await assertAxeClean(r, 'the review queue');
    await r.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(r);
    await r.setViewportSize({ width: 1366, height: 900 });
    // Its author sees the same in « Mes contributions ».
    await m.goto(`${base}/bibliotheque/mes-contributions`);
    await m.locator('.library-card').filter({ hasText: NEW_TITLE })
      .getByText('Nouvelle version d’une fiche en ligne (version 1 en ligne)', { exact: true }).waitFor();
  });

  await step('sent back, the fiche opens for changes with the reviewer’s request also right above the text', async () => {
    const id = await m.evaluate(async () => {
      const list = await (await fetch('/api/library/mine')).json();
      return list.items.find((i) => i.title === 'Une grille toute neuve').id;
    });
    const status = await r.evaluate(async (fiche) => (await fetch(`/api/library/items/${fiche}/reject`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ note: 'Ajoutez un exemple rempli, merci.', version: 1 }),
    })).status, id);
    assert.equal(status, 200);
    await m.goto(`${base}/bibliotheque/${id}/modifier`);
    await heading(m, /^Modifier la fiche$/);
    const reminder = m.locator('main details.review-reminder');
    const summary = reminder.locator('summary', { hasText: 'Rappel\u00A0: la demande du relecteur' });
    await summary.waitFor();
    assert.ok(await m.evaluate(() => {
      const note = document.querySelector('main details.review-reminder');
      const text = document.querySelector('main textarea[name="body"]');
      return Boolean(note.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING) && note.closest('.field') === text.closest('.field');
    }), 'the reminder is in the text’s field, above it');
    await summary.focus();
    await m.keyboard.press('Enter');
    await reminder.getByText('Ajoutez un exemple rempli, merci.').waitFor();
    await assertAxeClean(m, 'a fiche sent back, opened for changes');
    // Saved again, it is back in the queue saying what was asked; the history keeps it.
    const form = m.locator('main form');
    const text = form.getByLabel('Texte', { exact: true });
    await text.fill(`${await text.inputValue()}\n\nExemple rempli : la grille du Ternois.`);
    await form.getByRole('button', { name: /^Enregistrer/ }).click();
    await waitForPath(m, `/bibliotheque/${id}`);
    await r.goto(`${base}/bibliotheque/relecture`);
    const back = r.locator('.library-card').filter({ hasText: 'Une grille toute neuve' });
    await back.getByText('Renvoyée pour modifications (version 1), revue depuis. Demande\u00A0: «\u00A0Ajoutez un exemple rempli, merci.\u00A0»', { exact: true }).waitFor();
    await r.goto(`${base}/bibliotheque/${id}`);
    await r.locator('.history .history-sent-back', { hasText: 'Ajoutez un exemple rempli, merci.' }).waitFor();
    await assertAxeClean(r, 'a fiche back from a request for changes');
  });

  await step('no fiche found: ways out (clear the words, every fiche, propose one, the glossary), no sort; facet boxes keep their size', async () => {
    await m.setViewportSize({ width: 1366, height: 900 });
    await m.goto(`${base}/bibliotheque?kind=outil`);
    await heading(m, /^Bibliothèque$/);
    await cards(m).first().waitFor();
    // Every box of the filters is as wide as the others, its label on one line or two.
    const widths = await m.locator('main .facet-option input[type="checkbox"]').evaluateAll((boxes) => boxes.map((b) => Math.round(b.getBoundingClientRect().width)));
    assert.ok(widths.length > 5 && widths.every((w) => w === widths[0]), `facet boxes: ${widths.join(', ')}`);
    await search(m, 'zzqxw introuvable');
    await m.getByRole('status').filter({ hasText: /^Aucune fiche ne correspond/ }).waitFor();
    const none = m.locator('main .search-none');
    const clear = none.getByRole('link', { name: 'effacer la recherche' });
    assert.equal(await clear.getAttribute('href'), '/bibliotheque?kind=outil', 'the filters stay, the words go');
    assert.equal(await none.getByRole('link', { name: 'parcourir toutes les fiches' }).getAttribute('href'), '/bibliotheque');
    assert.equal(await none.getByRole('link', { name: 'proposer une fiche sur ce sujet' }).getAttribute('href'), '/bibliotheque/proposer');
    await m.getByRole('link', { name: 'Glossaire des sigles' }).waitFor();
    assert.equal(await m.getByLabel('Trier par').isVisible(), false, 'no sort for nothing');
    await assertAxeClean(m, 'no fiche found');
    await m.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(m);
    await m.setViewportSize({ width: 1366, height: 900 });
    await clear.click();
    await waitForPath(m, '/bibliotheque');
    await cards(m).first().waitFor();
    assert.equal(new URL(m.url()).search, '?kind=outil');
    assert.equal(await m.getByLabel('Rechercher dans la bibliothèque', { exact: true }).inputValue(), '');
    assert.equal(await m.locator('main .search-none a').count(), 0);
    assert.equal(await m.getByLabel('Trier par').isVisible(), true);
  });

  assertNoProblems(problems);
}

runTest({ name: 'library.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
