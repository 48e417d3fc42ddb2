#!/usr/bin/env node
// Browser test of the library's attachments: a member proposes a tool with a photo of a
// board (PNG), a slide deck (PPTX) and a report (PDF); on the item page the thumbnails
// show, the slide titles are listed, and the PDF is read page by page from the keyboard
// (each page with its text). axe stays clean; nothing scrolls sideways at 390 px.
//
// Usage: node library_files.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log, makeDataDir,
  newPage, runTest, signIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';
import { pdf, png, pptx } from './files.mjs';

const RUN_TIMEOUT_MS = 150_000;
const MEMBER = { email: 'camille@test.fr', name: 'Camille Coordinatrice', password: 'camille mot de passe' };
const TITLE = 'Supports de l’assemblée générale de la CPTS';

async function run(relais) {
  const dataDir = await makeDataDir('relais-library-files-');
  await addUser(relais, dataDir, MEMBER, 'membre');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);

  await launchBrowser();
  const problems = [];
  const { page: m } = await newPage();
  await watchPage(m, problems, { who: 'member', allow: (text, where) => isExpected401(text, where, ['/api/me']) });

  await step('the upload form accepts slides, spreadsheets and images, and says so', async () => {
    await signIn(m, base, MEMBER);
    await m.goto(`${base}/bibliotheque/proposer`);
    await heading(m, /^Proposer une fiche$/);
    const input = m.locator('main form').getByLabel('Ajouter des fichiers', { exact: true });
    const accept = await input.getAttribute('accept');
    for (const ext of ['.pptx', '.odp', '.xlsx', '.ods', '.png', '.jpg', '.webp']) assert.ok(accept.includes(ext), `accepts ${ext}`);
    await m.getByText(/diaporamas \(PPTX, ODP\)/).waitFor();
  });

  await step('the member proposes a tool with a photo, a slide deck and a PDF', async () => {
    const form = m.locator('main form');
    await form.getByLabel('Type de fiche', { exact: true }).selectOption('outil');
    await form.getByLabel('Titre', { exact: true }).fill(TITLE);
    await form.getByLabel('Résumé', { exact: true }).fill('Le diaporama, la photo du tableau et le rapport.');
    await form.getByLabel('Texte', { exact: true }).fill('Les supports présentés en assemblée générale.');
    await form.getByLabel('Ajouter des fichiers', { exact: true }).setInputFiles([
      { name: 'tableau-blanc.png', mimeType: 'image/png', buffer: png(480, 360) },
      {
        name: 'assemblee.pptx',
        mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        buffer: pptx([{ title: 'Diagnostic territorial', lines: ['Démographie médicale'] },
          { title: 'Feuille de route 2025', lines: ['Soins non programmés'] }]),
      },
      { name: 'rapport.pdf', mimeType: 'application/pdf', buffer: pdf(['Premiere page du rapport', 'Seconde page du rapport']) },
    ]);
    await m.getByRole('status').filter({ hasText: 'rapport.pdf est joint.' }).waitFor();
    await form.getByRole('button', { name: 'Envoyer pour relecture' }).click();
    await waitForPath(m, /^\/bibliotheque\/\d+$/);
    await heading(m, TITLE);
  });

  const attachments = m.getByRole('region', { name: 'Pièces jointes' });

  await step('thumbnails of the image and of the PDF load, with their text alternative', async () => {
    for (const alt of ['Aperçu de l’image « tableau-blanc.png »', 'Aperçu de la première page de « rapport.pdf »']) {
      const img = attachments.getByRole('img', { name: alt });
      await img.waitFor();
      await m.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
      assert.ok(await img.evaluate((el) => el.naturalWidth) <= 320, 'a thumbnail is 320 px wide at most');
    }
  });

  await step('the slide deck shows its slide titles', async () => {
    const list = attachments.getByRole('list', { name: 'Diapositives (2)' });
    await list.waitFor();
    assert.deepEqual(await list.getByRole('listitem').allTextContents(), ['Diagnostic territorial', 'Feuille de route 2025']);
  });

  await step('the PDF is read page by page from the keyboard', async () => {
    const open = attachments.getByRole('button', { name: 'Lire le PDF' });
    await open.focus();
    await m.keyboard.press('Enter');
    assert.equal(await open.getAttribute('aria-expanded'), 'true');
    const reader = m.getByRole('region', { name: 'Lecture de « rapport.pdf »' });
    await reader.getByText('Page 1 sur 2').waitFor();
    const page1 = reader.getByRole('img', { name: 'Page 1 sur 2 de « rapport.pdf »' });
    await m.waitForFunction((el) => el.complete && el.naturalWidth > 0, await page1.elementHandle());
    const next = reader.getByRole('button', { name: 'Page suivante' });
    assert.equal(await reader.getByRole('button', { name: 'Page précédente' }).isDisabled(), true);
    await next.focus();
    await m.keyboard.press('Enter');
    await reader.getByText('Page 2 sur 2').waitFor();
    const page2 = reader.getByRole('img', { name: 'Page 2 sur 2 de « rapport.pdf »' });
    await m.waitForFunction((el) => el.complete && el.naturalWidth > 0, await page2.elementHandle());
    assert.equal(await next.isDisabled(), true, 'no page after the last');
    // The focus did not fall to the page when « Page suivante » was disabled.
    assert.equal(await m.evaluate(() => document.activeElement?.textContent), 'Page précédente');
    // The page's text is its text alternative, one keypress away.
    await reader.getByText('Texte de la page').focus();
    await m.keyboard.press('Enter');
    await reader.getByText('Seconde page du rapport').waitFor();
    await reader.getByRole('button', { name: 'Page précédente' }).focus();
    await m.keyboard.press('ArrowLeft');
    await reader.getByText('Page 1 sur 2').waitFor();
  });

  await step('axe finds nothing; nothing scrolls sideways at 390 px', async () => {
    await assertAxeClean(m, 'the item page with its attachments and the PDF reader');
    await m.setViewportSize({ width: 390, height: 844 });
    await m.waitForTimeout(300);
    await assertNoOverflow(m);
    const width = await attachments.getByRole('img', { name: /^Page 1 sur 2/ }).evaluate((el) => el.getBoundingClientRect().width);
    assert.ok(width <= 390, `the page image fits the screen (${width} px)`);
  });

  assertNoProblems(problems);
}

runTest({ name: 'library_files.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
