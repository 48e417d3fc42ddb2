#!/usr/bin/env node
// Browser test of the library: a member searches the seed library as they type,
// narrows by a facet, opens an item and downloads its attachment, then submits a
// testimony with an attached file (its Markdown carries a script and a javascript:
// link, which must render inert); an animateur publishes it from the review queue
// and the member finds it by search.
//
// Usage: node library.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  STEP_TIMEOUT_MS, addUser, assertNoProblems, heading, isExpected401, launchBrowser, log, makeDataDir,
  newPage, pathOf, runTest, signIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;
const MEMBER = { email: 'camille@test.fr', name: 'Camille Coordinatrice', password: 'camille mot de passe' };
const REVIEWER = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };
const TITLE = 'Notre CPTS et les kinésithérapeutes du Ternois';

const cards = (page) => page.locator('main .library-results li.card');

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
  });

  await step('the animateur publishes it from the review queue', async () => {
    await signIn(r, base, REVIEWER);
    await r.goto(`${base}/bibliotheque`);
    await r.getByRole('link', { name: 'Relecture', exact: true }).click();
    await waitForPath(r, '/bibliotheque/relecture');
    await r.getByRole('link', { name: TITLE }).click();
    await waitForPath(r, itemPath);
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

  assertNoProblems(problems);
}

runTest({ name: 'library.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
