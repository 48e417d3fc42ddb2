#!/usr/bin/env node
// Browser test of writing a library fiche without knowing Markdown: the toolbar from the
// keyboard (one tab stop, arrows between buttons), the shortcuts, the live preview, a
// paste from Word that keeps headings, lists, a link and a table, the guided testimony
// form that writes the text and ticks the phase, the draft kept across a reload, then
// the fiche sent and shown; an edit that meets a newer version keeps its text and file
// across the reload. Bold and italics as toggles (Enter never carries their marks to the
// next line), Enter in lists, the link dialog (www… and e-mail addresses completed,
// others refused), images of a paste said, no needless backslash; « Quitter sans
// enregistrer » throws the draft away, a draft put back is said and can be cleared; an
// upload after the session ended offers to sign in again; the editor's width at 1366 px.
// axe-core clean; no horizontal overflow at 390 px.
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
  const title = () => p.getByLabel('Titre', { exact: true });

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
    // The marks with the caret between them: what is typed is bold.
    await p.keyboard.type('Important');
    assert.equal(await body().inputValue(), '**Important**');
    await preview().locator('strong', { hasText: 'Important' }).waitFor();
    await p.keyboard.press('End');
    await p.keyboard.type(' : la MSP');
    for (let i = 0; i < 3; i += 1) await p.keyboard.press('Shift+ArrowLeft');
    // « Lien » asks the address in a dialog, the words selected as its text.
    await p.keyboard.press('Control+k');
    const dialog = p.getByRole('dialog', { name: 'Insérer un lien' });
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Texte du lien').inputValue(), 'MSP');
    assert.equal(await p.evaluate(() => document.activeElement.name), 'href', 'the address is what is left to type');
    await p.keyboard.type('https://www.ameli.fr/');
    await p.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    // The link goes in once the dialog has closed.
    await p.waitForFunction(() => document.querySelector('main textarea[name="body"]').value.includes('](https://www.ameli.fr/)'), null, { timeout: 5000 })
      .catch(() => {});
    assert.equal(await body().inputValue(), '**Important** : la [MSP](https://www.ameli.fr/)');
    assert.equal(await p.evaluate(() => document.activeElement.tagName), 'TEXTAREA', 'back in the text');
    assert.equal(await body().evaluate((a) => a.selectionStart), (await body().inputValue()).length, 'the caret after the link');
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

  await step('bold and italics are toggles: pressed again, the caret leaves the marks; Enter never carries them to the next line', async () => {
    const before = await body().inputValue();
    const bold = () => p.getByRole('button', { name: 'Gras (Ctrl+B)' }).click();
    // The tester's sentence: bold on, words, bold off, the sentence goes on plain.
    await body().fill('Notre territoire compte ');
    await body().press('End');
    await bold();
    await p.keyboard.type('45 000 habitants');
    await bold();
    await p.keyboard.type(' et 3 MSP.');
    assert.equal(await body().inputValue(), 'Notre territoire compte **45 000 habitants** et 3 MSP.');
    // Ctrl+B twice with nothing typed between: nothing is left behind.
    await p.keyboard.press('Control+b');
    await p.keyboard.press('Control+b');
    assert.equal(await body().inputValue(), 'Notre territoire compte **45 000 habitants** et 3 MSP.');
    // Italics likewise, from the keyboard.
    await p.keyboard.type(' ');
    await p.keyboard.press('Control+i');
    await p.keyboard.type('vraiment');
    await p.keyboard.press('Control+i');
    await p.keyboard.type(' !');
    assert.equal(await body().inputValue(), 'Notre territoire compte **45 000 habitants** et 3 MSP. *vraiment* !');
    await preview().locator('em', { hasText: 'vraiment' }).waitFor();
    // Words selected: wrapped, and unwrapped when pressed again (or selected with their marks).
    await body().evaluate((a) => a.setSelectionRange(6, 16));
    await p.keyboard.press('Control+i');
    assert.ok((await body().inputValue()).startsWith('Notre *territoire* compte'), await body().inputValue());
    await p.keyboard.press('Control+i');
    assert.ok((await body().inputValue()).startsWith('Notre territoire compte'), await body().inputValue());
    await body().evaluate((a) => { const at = a.value.indexOf('**45'); a.setSelectionRange(at, at + '**45 000 habitants**'.length); });
    await bold();
    assert.ok((await body().inputValue()).startsWith('Notre territoire compte 45 000 habitants et'), await body().inputValue());
    await body().evaluate((a) => { const at = a.value.indexOf('45'); a.setSelectionRange(at, at + '45 000 habitants'.length); });
    await bold();
    await bold();
    assert.ok((await body().inputValue()).startsWith('Notre territoire compte 45 000 habitants et'), 'the marks around the words selected go');
    // Enter while bold: the marks close on their line, never pushed onto the next one.
    await body().fill('Notre territoire compte ');
    await body().press('End');
    await bold();
    await p.keyboard.type('45 000 habitants et 3 MSP.');
    await p.keyboard.press('Enter');
    await p.getByRole('button', { name: 'Liste à puces', exact: true }).click();
    await p.keyboard.type('Premier point');
    assert.equal(await body().inputValue(), 'Notre territoire compte **45 000 habitants et 3 MSP.**\n- Premier point');
    await preview().locator('strong', { hasText: '45 000 habitants et 3 MSP.' }).waitFor();
    await preview().locator('li', { hasText: /^Premier point$/ }).waitFor();
    // Bold pressed, then Enter with nothing typed: no empty marks left.
    await body().fill('Titre');
    await body().press('End');
    await bold();
    await p.keyboard.press('Enter');
    await p.keyboard.type('Suite');
    assert.equal(await body().inputValue(), 'Titre\nSuite');
    // Enter in the middle of bold words: closed on this line, open again on the next.
    await body().fill('Avant **tout compte fait** après');
    await body().evaluate((a) => a.setSelectionRange(12, 12));
    await p.keyboard.press('Enter');
    assert.equal(await body().inputValue(), 'Avant **tout**\n** compte fait** après');
    // Lines selected: each line gets its marks (after its list marker), and loses them again.
    await body().fill('Premier\n- second');
    await body().evaluate((a) => a.setSelectionRange(0, a.value.length));
    await p.keyboard.press('Control+b');
    assert.equal(await body().inputValue(), '**Premier**\n- **second**');
    await preview().locator('li strong', { hasText: 'second' }).waitFor();
    await p.keyboard.press('Control+b');
    assert.equal(await body().inputValue(), 'Premier\n- second');
    await body().fill(before);
  });

  await step('Enter in a list starts the next item (numbered one more); Enter on an empty item ends the list', async () => {
    const before = await body().inputValue();
    await body().fill('');
    await p.getByRole('button', { name: 'Liste à puces', exact: true }).click();
    for (const key of ['Un', 'Enter', 'Deux', 'Enter', 'Enter', 'Fin']) {
      if (key === 'Enter') await p.keyboard.press('Enter');
      else await p.keyboard.type(key);
    }
    assert.equal(await body().inputValue(), '- Un\n- Deux\nFin');
    await body().fill('');
    await p.getByRole('button', { name: 'Liste numérotée', exact: true }).click();
    await p.keyboard.type('Réunir');
    await p.keyboard.press('Enter');
    await p.keyboard.type('Écrire');
    await p.keyboard.press('Enter');
    assert.equal(await body().inputValue(), '1. Réunir\n2. Écrire\n3. ');
    await p.keyboard.press('Enter');
    assert.equal(await body().inputValue(), '1. Réunir\n2. Écrire\n');
    // A check-list goes on with an empty box; an indented item keeps its depth.
    await body().fill('- [x] Fait\n  - sous-point');
    await body().press('Control+End');
    await p.keyboard.press('Enter');
    await p.keyboard.type('autre');
    assert.equal(await body().inputValue(), '- [x] Fait\n  - sous-point\n  - autre');
    await body().evaluate((a) => a.setSelectionRange(10, 10));
    await p.keyboard.press('Enter');
    assert.equal(await body().inputValue(), '- [x] Fait\n- [ ] \n  - sous-point\n  - autre');
    await preview().locator('ul ul li', { hasText: 'autre' }).waitFor();
    await body().fill(before);
  });

  await step('« Lien » asks the text and the address: « www… » gets https://, an e-mail mailto:, anything else is refused', async () => {
    const before = await body().inputValue();
    const dialog = p.getByRole('dialog', { name: 'Insérer un lien' });
    const link = async (text, address) => {
      await p.getByRole('button', { name: 'Lien (Ctrl+K)' }).click();
      await dialog.waitFor();
      await dialog.getByLabel('Texte du lien').fill(text);
      await dialog.getByLabel('Adresse', { exact: true }).fill(address);
      await dialog.getByRole('button', { name: 'Insérer le lien' }).click();
    };
    // The link goes in once the dialog has closed: wait for the text to hold it.
    const holds = (needle) => p.waitForFunction((n) => document.querySelector('main textarea[name="body"]').value.includes(n), needle);
    await body().fill('Voir ');
    await body().press('End');
    await link('le site de l’Assurance Maladie', 'www.ameli.fr');
    await dialog.waitFor({ state: 'detached' });
    await holds('(https://www.ameli.fr)');
    await p.keyboard.type(' pour plus d’informations.');
    assert.equal(await body().inputValue(), 'Voir [le site de l’Assurance Maladie](https://www.ameli.fr) pour plus d’informations.');
    await preview().getByRole('link', { name: 'le site de l’Assurance Maladie' }).waitFor();
    await body().press('Control+End');
    await p.keyboard.type(' Écrire à ');
    await link('', 'coordination@cpts-exemple.fr');
    await dialog.waitFor({ state: 'detached' });
    await holds('(mailto:coordination@cpts-exemple.fr)');
    assert.ok((await body().inputValue()).endsWith('Écrire à [coordination@cpts-exemple.fr](mailto:coordination@cpts-exemple.fr)'), await body().inputValue());
    assert.equal(await preview().getByRole('link', { name: 'coordination@cpts-exemple.fr' }).getAttribute('href'), 'mailto:coordination@cpts-exemple.fr');
    // Not an address: said in the dialog, the field marked; nothing is inserted.
    const text = await body().inputValue();
    await link('piège', 'javascript:alert(1)');
    await dialog.getByRole('alert').filter({ hasText: 'Cette adresse n’est pas reconnue\u00A0:' }).waitFor();
    assert.equal(await dialog.getByLabel('Adresse', { exact: true }).getAttribute('aria-invalid'), 'true');
    await assertAxeClean(p, 'the link dialog with its error');
    await p.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await body().inputValue(), text);
    await p.waitForFunction(() => document.activeElement?.tagName === 'TEXTAREA', null, { timeout: 2000 })
      .catch(() => {});
    assert.equal(await p.evaluate(() => document.activeElement.tagName), 'TEXTAREA', 'back in the text, where it was');
    await body().fill(before);
  });

  await step('a paste with images says they are not kept; what is pasted shows no backslash nobody typed', async () => {
    const before = await body().inputValue();
    await body().fill('');
    const paste = (html) => body().evaluate((area, markup) => {
      const data = new DataTransfer();
      data.setData('text/html', markup);
      data.setData('text/plain', 'x');
      area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, html);
    await paste('<p>Le <b>schéma</b> :</p><p><img src="file:///C:/clip_image001.png"></p><p><img src="data:image/png;base64,iVBOR"></p>');
    await p.getByRole('status').filter({ hasText: '2 images n’ont pas été reprises\u00A0: ajoutez-les comme pièces jointes.' }).waitFor();
    assert.ok(!(await body().inputValue()).includes('img'));
    await paste('<p>Un <i>seul</i> logo <img src="logo.png"></p>');
    await p.getByRole('status').filter({ hasText: '1 image n’a pas été reprise\u00A0: ajoutez-la comme pièce jointe.' }).waitFor();
    await body().fill('');
    await paste('<p>Taux de 5 * 3, le fichier plan_2025_v2.pdf, C# et 100 | 200 &lt;ici&gt;.</p>'
      + '<p>*Pas de l’italique* ni _ceci_, ni [ceci](https://exemple.fr).</p>'
      + '<p># pas un titre</p><table><tr><td><b>Colonne</b></td><td>A | B</td></tr><tr><td>1</td><td>2</td></tr></table>');
    const text = await body().inputValue();
    assert.ok(text.includes('Taux de 5 * 3, le fichier plan_2025_v2.pdf, C# et 100 | 200 <ici>.'), text);
    assert.ok(text.includes('\\*Pas de l’italique\\* ni \\_ceci_, ni \\[ceci](https://exemple.fr).'), text);
    assert.ok(text.includes('\\# pas un titre'), text);
    assert.ok(text.includes('| **Colonne** | A \\| B |'), text);
    await preview().getByText('*Pas de l’italique* ni _ceci_, ni [ceci](https://exemple.fr).').waitFor();
    await preview().getByText('# pas un titre').waitFor();
    await preview().getByRole('columnheader', { name: 'A | B' }).waitFor();
    assert.equal(await preview().locator('em').count(), 0);
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

  await step('« Quitter sans enregistrer » throws the draft away; a draft put back is said, kept when left untouched, and can be cleared', async () => {
    const leaveDialog = p.getByRole('dialog', { name: 'Quitter sans enregistrer ?' });
    await p.goto(`${base}/bibliotheque/proposer`);
    await heading(p, /^Proposer une fiche$/);
    await title().fill('Un brouillon abandonné');
    await body().fill('Texte abandonné.');
    await p.getByRole('link', { name: 'Retour à la bibliothèque' }).click();
    await leaveDialog.getByRole('button', { name: 'Quitter sans enregistrer' }).click();
    await waitForPath(p, '/bibliotheque');
    await p.getByRole('link', { name: 'Proposer une fiche' }).first().click();
    await heading(p, /^Proposer une fiche$/);
    assert.equal(await title().inputValue(), '', 'the abandoned title does not come back');
    assert.equal(await body().inputValue(), '');
    assert.equal(await p.getByText(/^Brouillon repris/).count(), 0);
    // A reload puts the text back and says so, with the date.
    await title().fill('Mon brouillon');
    await body().fill('Un texte à finir.');
    await p.reload();
    await heading(p, /^Proposer une fiche$/);
    const notice = p.locator('main .draft-notice');
    await notice.getByText(/^Brouillon repris \(enregistré le \d{1,2}(er)? [a-zéû]+ \d{4} à \d{2}:\d{2}\)\u00A0: /).waitFor();
    assert.equal(await title().inputValue(), 'Mon brouillon');
    await assertAxeClean(p, 'the form with a draft put back');
    // Left untouched: leaving asks nothing, and the draft is there the next time.
    await p.getByRole('link', { name: 'Retour à la bibliothèque' }).click();
    await waitForPath(p, '/bibliotheque');
    assert.equal(await leaveDialog.count(), 0, 'no question for a draft left as it was put back');
    await p.getByRole('link', { name: 'Proposer une fiche' }).first().click();
    await notice.getByText(/^Brouillon repris/).waitFor();
    assert.equal(await body().inputValue(), 'Un texte à finir.');
    // « Effacer le brouillon », confirmed: the form as it was drawn, said where the button was.
    await notice.getByRole('button', { name: 'Effacer le brouillon' }).click();
    const confirm = p.getByRole('dialog', { name: 'Effacer le brouillon ?' });
    await confirm.getByRole('button', { name: 'Effacer le brouillon' }).click();
    await notice.getByText('Brouillon effacé.').waitFor();
    assert.equal(await title().inputValue(), '');
    assert.equal(await body().inputValue(), '');
    await preview().getByText('L’aperçu du texte apparaîtra ici.').waitFor();
    assert.equal(await p.evaluate(() => document.activeElement.classList.contains('draft-notice')), true, 'the keyboard stays on the notice');
    await p.reload();
    await heading(p, /^Proposer une fiche$/);
    assert.equal(await p.locator('main .draft-notice').count(), 0);
    assert.equal(await title().inputValue(), '');
  });

  await step('an upload after the session ended offers to sign in again; the text comes back after', async () => {
    await title().fill('Écrit avant la fin de la session');
    await p.context().clearCookies();
    await p.getByLabel('Ajouter des fichiers').setInputFiles({ name: 'schema.txt', mimeType: 'text/plain', buffer: Buffer.from('Schéma') });
    const status = p.locator('main .upload-status').filter({ hasText: 'schema.txt n’est pas joint\u00A0: votre session a pris fin.' });
    await status.waitFor();
    const again = status.getByRole('link', { name: 'Se reconnecter puis revenir ici' });
    assert.equal(await again.getAttribute('href'), '/connexion?retour=%2Fbibliotheque%2Fproposer');
    await assertAxeClean(p, 'the form after an upload refused for a session ended');
    await again.click();
    await waitForPath(p, '/connexion');
    const form = p.locator('main form');
    await form.getByLabel('Adresse e-mail', { exact: true }).fill(MEMBER.email);
    await form.getByLabel('Mot de passe', { exact: true }).fill(MEMBER.password);
    await form.getByRole('button', { name: 'Se connecter' }).click();
    await waitForPath(p, '/bibliotheque/proposer');
    await p.locator('main .draft-notice').getByText(/^Brouillon repris/).waitFor();
    assert.equal(await title().inputValue(), 'Écrit avant la fin de la session');
  });

  await step('on a wide screen the text and its preview get the page’s width; at 390 px nothing scrolls sideways', async () => {
    await p.setViewportSize({ width: 1366, height: 900 });
    const width = await body().evaluate((a) => a.getBoundingClientRect().width);
    assert.ok(width >= 500, `the text is ${Math.round(width)} px wide at 1366 px`);
    const titleWidth = await title().evaluate((a) => a.getBoundingClientRect().width);
    assert.ok(titleWidth <= 740, 'the other fields keep a readable width');
    const height = await body().evaluate((a) => a.getBoundingClientRect().height);
    assert.ok(height >= 400, `the text is ${Math.round(height)} px high`);
    await p.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(p);
    await assertAxeClean(p, 'the form at 390 px with a draft put back');
    await p.setViewportSize({ width: 1366, height: 900 });
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
    // The one conflict (409) provoked above is expected, and the 401s of the session ended.
    assertNoProblems(problems.filter((x) => !/status of 409 \(Conflict\) \(http:[^)]*\/api\/library\/items\/\d+\)/.test(x)
      && !/status of 401 \(Unauthorized\) \(http:[^)]*\/api\/(library\/files\?name=schema\.txt|me|notifications[^)]*)\)/.test(x)));
  });
}

runTest({ name: 'library_editor.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
