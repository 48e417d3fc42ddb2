#!/usr/bin/env node
// Browser test of writing a library fiche without knowing Markdown: the toolbar from the
// keyboard (one tab stop, arrows between buttons), the shortcuts, the live preview, a
// paste from Word that keeps headings, lists, a link and a table, the guided testimony
// form that writes the text and ticks the phase, the draft kept across a reload, then
// the fiche sent and shown; an edit that meets a newer version keeps its text and file
// across the reload. axe-core clean; no horizontal overflow at 390 px.
//
// Usage: node library_editor.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, launchBrowser, log,
  makeDataDir, runTest, signedIn, startServer, step, waitForPath,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;
const MEMBER = { email: 'marie@test.fr', name: 'Marie Coordinatrice', password: 'correct horse battery' };

// What Word puts on the clipboard (trimmed): list paragraphs with a hidden bullet, a
// heading, bold, a link and a table.
const WORD_HTML = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0}</style></head>
<body lang=FR><!--StartFragment-->
<h2>Contexte du projet</h2>
<p class=MsoNormal>Une CPTS de <b>80&nbsp;000 habitants</b>, voir <a href="https://www.ameli.fr/">le site de l'Assurance Maladie</a>.<o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='mso-list:l0 level1 lfo1'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span>Premier point<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='mso-list:l0 level2 lfo1'><span style='mso-list:Ignore'>o<span>&nbsp;&nbsp; </span></span>Un sous-point<o:p></o:p></p>
<p class=MsoListParagraph style='mso-list:l1 level1 lfo2'><span style='mso-list:Ignore'>1.<span>&nbsp;&nbsp; </span></span>Première étape<o:p></o:p></p>
<p class=MsoListParagraph style='mso-list:l1 level1 lfo2'><span style='mso-list:Ignore'>2.<span>&nbsp;&nbsp; </span></span>Deuxième étape<o:p></o:p></p>
<table class=MsoTableGrid border=1><tr><td><p class=MsoNormal><b>Action</b></p></td><td><p class=MsoNormal><b>Qui</b></p></td></tr>
<tr><td><p class=MsoNormal>Réunir les médecins</p></td><td><p class=MsoNormal>La coordinatrice</p></td></tr></table>
<script>alert(1)</script><img src="x.png">
<!--EndFragment--></body></html>`;

async function run(relais) {
  const dataDir = await makeDataDir('relais-editor-');
  await addUser(relais, dataDir, MEMBER, 'membre');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);
  const browser = await launchBrowser();
  const problems = [];
  const { page: p } = await signedIn(browser, base, MEMBER, problems, { who: 'marie' });
  const body = () => p.getByLabel('Texte', { exact: true });
  const preview = () => p.getByRole('region', { name: 'Aperçu' });

  await step('the toolbar from the keyboard: one tab stop, arrows, a button, a shortcut; the preview follows', async () => {
    await p.goto(`${base}/bibliotheque/proposer`);
    await heading(p, /^Proposer une fiche$/);
    await p.getByLabel('Titre', { exact: true }).fill('Lancer un groupe de travail sur les soins non programmés');
    await p.getByLabel('Résumé', { exact: true }).fill('Comment nous avons réuni médecins et pharmaciens.');
    await body().focus();
    await p.keyboard.press('Shift+Tab');
    assert.equal(await p.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Titre de section');
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowRight');
    assert.equal(await p.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Gras (Ctrl+B)');
    await p.keyboard.press('Enter');
    // The placeholder is selected in the text: typing replaces it.
    await p.keyboard.type('Important');
    assert.equal(await body().inputValue(), '**Important**');
    await preview().locator('strong', { hasText: 'Important' }).waitFor();
    await p.keyboard.press('End');
    await p.keyboard.type(' : la MSP');
    for (let i = 0; i < 3; i += 1) await p.keyboard.press('Shift+ArrowLeft');
    await p.keyboard.press('Control+k');
    await p.keyboard.type('https://www.ameli.fr/');
    assert.equal(await body().inputValue(), '**Important** : la [MSP](https://www.ameli.fr/)');
    await preview().getByRole('link', { name: 'MSP' }).waitFor();
    // Tab from the toolbar goes on to the text: the toolbar is one stop.
    await body().focus();
    await p.keyboard.press('Shift+Tab');
    await p.keyboard.press('Tab');
    assert.equal(await p.evaluate(() => document.activeElement.tagName), 'TEXTAREA');
    await assertAxeClean(p, 'the editor with its preview');
  });

  await step('a paste from Word keeps headings, lists, bold, the link and the table, and drops the rest', async () => {
    await body().press('Control+End');
    await body().press('Enter');
    await body().press('Enter');
    await body().evaluate((area, html) => {
      const data = new DataTransfer();
      data.setData('text/html', html);
      data.setData('text/plain', 'Contexte du projet');
      area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, WORD_HTML);
    const text = await body().inputValue();
    assert.ok(text.includes('## Contexte du projet'), text);
    assert.ok(text.includes("Une CPTS de **80\u00a0000 habitants**, voir [le site de l'Assurance Maladie](https://www.ameli.fr/)."), text);
    assert.ok(text.includes('- Premier point\n  - Un sous-point'), text);
    assert.ok(text.includes('1. Première étape\n2. Deuxième étape'), text);
    assert.ok(text.includes('| **Action** | **Qui** |\n| --- | --- |\n| Réunir les médecins | La coordinatrice |'), text);
    assert.ok(!/alert|x\.png|<|mso/.test(text), text);
    await preview().getByRole('heading', { name: 'Contexte du projet' }).waitFor();
    await preview().getByRole('cell', { name: 'Réunir les médecins' }).waitFor();
  });

  await step('a Google Docs paste keeps its blocks; lists after lists stay apart; line breaks, bare addresses', async () => {
    const before = await body().inputValue();
    await body().fill('');
    const paste = (html) => body().evaluate((area, markup) => {
      const data = new DataTransfer();
      data.setData('text/html', markup);
      data.setData('text/plain', 'x');
      area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, html);
    // Google Docs wraps the whole paste in one <b style="font-weight:normal">.
    await paste('<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1234"><h1>Titre Docs</h1>'
      + '<p><span style="font-weight:700">Gras</span> puis normal</p><ol><li>Un</li><li>Deux</li></ol>'
      + '<ul><li>Puce</li></ul><p>12 rue des Lilas<br>59000 Lille</p></b>');
    const text = await body().inputValue();
    assert.ok(text.includes('# Titre Docs\n\n**Gras** puis normal'), text);
    assert.ok(text.includes('1. Un\n2. Deux\n\n- Puce'), text);
    assert.ok(text.includes('12 rue des Lilas\n59000 Lille'), text);
    await preview().getByRole('heading', { name: 'Titre Docs' }).waitFor();
    assert.equal(await preview().locator('ol > li').count(), 2);
    assert.equal(await preview().locator('ul > li', { hasText: 'Puce' }).count(), 1);
    assert.equal(await preview().locator('p', { hasText: '12 rue des Lilas' }).locator('br').count(), 1);
    // Older Word: the marker left in the text is no text.
    await body().fill('');
    await paste('<p class=MsoListParagraph style="mso-list:l0 level1 lfo1">· Puce sans étiquette</p>'
      + '<p class=MsoListParagraph style="mso-list:l1 level1 lfo2">1. Étape</p>');
    assert.equal((await body().inputValue()).trim(), '- Puce sans étiquette\n\n1. Étape');
    // Typed: an address on its own is a link; an image reads as a link to it.
    await body().fill('Voir https://www.ameli.fr/exercice-coordonne. Et ![le logo](https://exemple.fr/logo.png)');
    assert.equal(await preview().getByRole('link', { name: 'https://www.ameli.fr/exercice-coordonne' }).getAttribute('href'),
      'https://www.ameli.fr/exercice-coordonne');
    await preview().getByRole('link', { name: 'le logo' }).waitFor();
    assert.ok(!(await preview().textContent()).includes('!'), 'no stray « ! »');
    // « Tableau » goes after the words selected, never in their place.
    await body().fill('Mon texte');
    await body().evaluate((area) => area.setSelectionRange(0, 3));
    await p.getByRole('button', { name: 'Tableau' }).click();
    assert.ok((await body().inputValue()).startsWith('Mon\n\n| '), await body().inputValue());
    await body().fill(before);
  });

  await step('the line buttons put their marker before the line and leave the caret after it: typing adds text', async () => {
    const before = await body().inputValue();
    const click = (name) => p.getByRole('button', { name, exact: true }).click();
    // On an empty text: the marker, then what is typed after it.
    for (const [name, marker] of [['Titre de section', '## '], ['Sous-titre de section', '### '], ['Liste à puces', '- '],
      ['Liste numérotée', '1. '], ['Cases à cocher', '- [ ] '], ['Citation', '> ']]) {
      await body().fill('');
      await click(name);
      await p.keyboard.type('Abc');
      assert.equal(await body().inputValue(), `${marker}Abc`, name);
      // On a line with text, caret in its middle: the line is kept, the caret at its end.
      await body().fill('Première ligne\nDeuxième ligne\nTroisième');
      await body().evaluate((area) => area.setSelectionRange(18, 18));
      await click(name);
      await p.keyboard.type(' suite');
      assert.equal(await body().inputValue(), `Première ligne\n${marker}Deuxième ligne suite\nTroisième`, name);
    }
    // Twice on the same line takes the marker away, the text kept.
    await body().fill('Un titre');
    await click('Titre de section');
    await click('Titre de section');
    await p.keyboard.type('!');
    assert.equal(await body().inputValue(), 'Un titre!');
    await body().fill(before);
  });

  await step('the guided testimony form writes the text and ticks the phase', async () => {
    await p.getByText('Écrire le témoignage avec le formulaire guidé').click();
    await p.getByLabel('Le territoire et la CPTS').fill('CPTS du Val de Sambre, 80 000 habitants, semi-rural.');
    await p.getByLabel('Où en était le projet ?').selectOption({ index: 2 });
    const phaseLabel = await p.getByLabel('Où en était le projet ?').evaluate((s) => s.options[s.selectedIndex].textContent);
    await p.getByLabel('Ce que vous avez essayé').fill('Trois réunions de secteur avec les médecins et les pharmaciens.');
    await p.getByLabel('Ce qui a marché').fill('Le repas du jeudi soir.');
    await p.getByLabel('Ce que vous conseilleriez à une CPTS qui commence').fill('Commencer petit.');
    await p.getByRole('button', { name: 'Écrire le texte' }).click();
    await p.getByText('Le texte du témoignage a été écrit à partir de vos réponses').waitFor();
    const text = await body().inputValue();
    assert.ok(text.includes('## Le territoire et la CPTS\n\nCPTS du Val de Sambre, 80 000 habitants, semi-rural.'), text);
    assert.ok(text.includes(`## Où en était le projet\n\nÉtape\u00A0: ${phaseLabel}.`), text);
    assert.ok(text.includes('## Ce que nous avons essayé\n\nTrois réunions de secteur'), text);
    assert.ok(!text.includes('## Ce qui n’a pas marché'), 'an empty answer writes nothing');
    assert.ok(text.startsWith('**Important**'), 'what was written before is kept');
    assert.equal(await p.getByRole('group', { name: 'Phase du projet' }).getByLabel(phaseLabel, { exact: true }).isChecked(), true);
    await assertAxeClean(p, 'the guided testimony form');
    await p.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(p);
    await p.setViewportSize({ width: 1366, height: 900 });
  });

  await step('a reload keeps what was typed; sent, the fiche shows the text as previewed', async () => {
    const before = await body().inputValue();
    await p.reload();
    await heading(p, /^Proposer une fiche$/);
    assert.equal((await body().inputValue()).trim(), before.trim());
    assert.equal(await p.getByLabel('Titre', { exact: true }).inputValue(), 'Lancer un groupe de travail sur les soins non programmés');
    await p.getByRole('button', { name: 'Envoyer pour relecture' }).click();
    await waitForPath(p, /^\/bibliotheque\/\d+$/);
    await p.getByText('Fiche enregistrée : elle attend une relecture.').waitFor();
    await p.getByRole('heading', { name: 'Ce que nous avons essayé' }).waitFor();
    await p.getByRole('cell', { name: 'La coordinatrice' }).waitFor();
    // The acronyms it uses link to the glossary.
    const acronyms = p.getByRole('region', { name: 'Sigles de cette fiche' });
    await acronyms.getByRole('link', { name: 'CPTS' }).waitFor();
    assert.equal(await acronyms.getByRole('link', { name: 'MSP' }).getAttribute('href'), '/bibliotheque/glossaire#sigle-MSP');
    // Sent: the draft is gone.
    const fiche = new URL(p.url()).pathname;
    await p.goto(`${base}/bibliotheque/proposer`);
    await heading(p, /^Proposer une fiche$/);
    assert.equal(await body().inputValue(), '');

    // An edit that meets a newer version: the reload the message asks for brings the typed
    // text and the file attached back, says so, and saving puts them in a new version.
    await p.goto(`${base}${fiche}/modifier`);
    await body().fill('Ma version, écrite pendant que la fiche changeait.');
    await p.getByLabel('Ajouter des fichiers').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Notes de réunion') });
    await p.getByText('notes.txt est joint.').waitFor();
    await p.evaluate(async (path) => {
      const id = path.split('/').pop();
      const { item } = await (await fetch(`/api/library/items/${id}`)).json();
      const r = await fetch(`/api/library/items/${id}`, {
        method: 'PUT', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: item.title, summary: item.summary, body: `${item.body}\n\nAjout d’un relecteur.`, base_version: item.latest_version }),
      });
      if (!r.ok) throw new Error(`PUT ${r.status}`);
    }, fiche);
    await p.getByRole('button', { name: 'Enregistrer la nouvelle version' }).click();
    await p.getByText(/modifiée entre-temps/).first().waitFor();
    await p.reload();
    await p.getByText(/Votre texte non enregistré est repris/).waitFor();
    assert.equal(await body().inputValue(), 'Ma version, écrite pendant que la fiche changeait.');
    await p.getByText('notes.txt', { exact: false }).first().waitFor();
    await p.getByRole('button', { name: 'Enregistrer la nouvelle version' }).click();
    await waitForPath(p, /^\/bibliotheque\/\d+$/);
    await p.getByText('Ma version, écrite pendant que la fiche changeait.').waitFor();
    await p.getByRole('link', { name: /notes\.txt/ }).first().waitFor();
  });

  await step('the glossary of acronyms: spelled out, explained, filtered as you type, opened at an entry', async () => {
    await p.goto(`${base}/bibliotheque/glossaire#sigle-URML`);
    await heading(p, /^Glossaire des sigles$/);
    const urml = p.locator('dt#sigle-URML');
    await urml.waitFor();
    assert.match(await urml.locator('+ dd').textContent(), /URPS/);
    await p.getByLabel('Chercher un sigle').fill('coordination');
    await p.getByRole('status').filter({ hasText: /sigles?$/ }).waitFor();
    assert.equal(await p.locator('dt#sigle-DAC').count(), 1);
    assert.equal(await p.locator('dt#sigle-SWOT').count(), 0);
    await assertAxeClean(p, 'the glossary');
    // Nothing found: said in the status, the list empty and out of the way (axe-clean).
    await p.getByLabel('Chercher un sigle').fill('zzzz');
    await p.getByRole('status').filter({ hasText: 'Aucun sigle ne correspond' }).waitFor();
    await assertAxeClean(p, 'the glossary with nothing found');
    await p.getByLabel('Chercher un sigle').fill('');
    await p.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(p);
    await p.setViewportSize({ width: 1366, height: 900 });
  });

  await step('no console error nor CSP violation', async () => {
    // The one conflict (409) provoked above is expected.
    assertNoProblems(problems.filter((x) => !/status of 409 \(Conflict\) \(http:[^)]*\/api\/library\/items\/\d+\)/.test(x)));
  });
}

runTest({ name: 'library_editor.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
