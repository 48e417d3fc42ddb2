#!/usr/bin/env node
// Browser test of structured columns (a column's `fields`): a workshop made from the
// « indicateurs » template; its plan saved again from the phase composer keeps the fields;
// on the board, an indicator is written from the composer with the keyboard only (its text,
// a choice list, free fields), a refused note puts back its text and every field, the card
// shows the fields as a definition list, a field is changed from the edit form; the report
// prints the column as a table and indicators.csv has one row per indicator with its
// fields. axe-core clean; no horizontal overflow at 390 px and 320 px; no console error.
//
// Usage: node workshop_fields.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, launchBrowser, log,
  makeDataDir, runTest, signedIn, startServer, step,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 120_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };
const INDICATOR = 'Part des patients en ALD sans médecin traitant';

async function run(relais) {
  const dataDir = await makeDataDir('relais-fields-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);
  const browser = await launchBrowser();
  const problems = [];
  const { page: a, call } = await signedIn(browser, base, ADMIN, problems, { who: 'alice' });
  const workshop = (await call('POST', '/api/workshops', {
    title: 'Indicateurs du contrat', stage: 'pre_aci', template: 'indicateurs', date: '2026-12-01T14:00',
  })).workshop;
  const path = `/api/workshops/${workshop.id}`;
  const column = a.getByRole('region', { name: 'Indicateur', exact: true });
  const card = a.locator('main li.note:not(.note-pending)', { hasText: INDICATOR });
  /** The card's fields as { label: value }. */
  const cardFields = async () => Object.fromEntries(await card.locator('dl.note-fields > div').evaluateAll((rows) => rows.map((r) => [
    r.querySelector('dt').textContent, r.querySelector('dd').textContent])));

  await step('the template\'s structured column survives the phase composer', async () => {
    const indicator = workshop.phases[1].columns.find((c) => c.key === 'indicateur');
    assert.deepEqual(indicator.fields.map((f) => f.label), ['Moyens ou résultats', 'Définition', 'Source', 'Fréquence',
      'Valeur de départ', 'Cible', 'Conditionne le financement']);
    await a.goto(`${base}/ateliers/${workshop.id}`);
    await heading(a, /^Indicateurs du contrat$/);
    await a.locator('details.phase-settings > summary').nth(1).click();
    await a.getByText('Chaque note de cette colonne se précise par : Moyens ou résultats, Définition, Source').first().waitFor();
    await a.getByRole('button', { name: 'Enregistrer le déroulé' }).click();
    await a.getByText('Le déroulé a été enregistré.').waitFor();
    const saved = (await call('GET', path)).workshop;
    assert.deepEqual(saved.phases[1].columns[0].fields, indicator.fields);
    await call('POST', `${path}/state`, { state: 'scheduled' });
    await call('POST', `${path}/state`, { state: 'live' });
  });

  await step('the composer of a structured column: the text, then one labelled control per field', async () => {
    await a.goto(`${base}/ateliers/${workshop.id}/tableau`);
    await heading(a, /^Indicateurs du contrat$/);
    await a.locator('.live-status-online').waitFor();
    await a.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ index: 1 });
    await a.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
    await a.locator('main h2.board-phase-title').filter({ hasText: 'Propositions d\'indicateurs' }).waitFor();
    await column.getByLabel('Nouvelle note', { exact: true }).waitFor();
    const type = column.getByLabel('Moyens ou résultats', { exact: true });
    assert.equal(await type.evaluate((el) => el.tagName), 'SELECT');
    assert.deepEqual(await type.locator('option').allTextContents(), ['Non renseigné', 'Moyens', 'Résultats']);
    assert.equal(await column.getByLabel('Source', { exact: true }).evaluate((el) => el.tagName), 'INPUT');
    // A field's help describes its control.
    assert.match(await column.getByRole('textbox', { name: 'Source', exact: true }).evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')).textContent),
      /D'où vient la donnée/);
    await assertAxeClean(a, 'the board with a structured column');
  });

  await step('a refused note puts back its text and every field', async () => {
    const area = column.getByLabel('Nouvelle note', { exact: true });
    await area.fill(INDICATOR);
    await column.getByLabel('Moyens ou résultats', { exact: true }).selectOption('Résultats');
    // A control character: the server refuses the note (champ_invalide, field `fields`).
    await column.getByLabel('Définition', { exact: true }).fill('Patients en ALD\u0001');
    await column.getByLabel('Source', { exact: true }).fill('Assurance Maladie');
    await area.press('Control+Enter');
    await a.locator('.live-error').filter({ hasText: /\S/ }).waitFor();
    await a.waitForFunction((text) => [...document.querySelectorAll('.board-column textarea')].some((t) => t.value === text), INDICATOR);
    assert.equal(await column.getByLabel('Moyens ou résultats', { exact: true }).inputValue(), 'Résultats');
    assert.equal(await column.getByLabel('Définition', { exact: true }).inputValue(), 'Patients en ALD\u0001');
    assert.equal(await column.getByLabel('Source', { exact: true }).inputValue(), 'Assurance Maladie');
    assert.equal(await card.count(), 0);
    // Start again from an empty composer.
    await area.fill('');
    for (const label of ['Définition', 'Source']) await column.getByLabel(label, { exact: true }).fill('');
    await column.getByLabel('Moyens ou résultats', { exact: true }).selectOption('');
  });

  await step('an indicator written with the keyboard only, its fields shown on the card', async () => {
    const area = column.getByLabel('Nouvelle note', { exact: true });
    await area.focus();
    await a.keyboard.type(INDICATOR);
    await a.keyboard.press('Tab'); // Moyens ou résultats: « Résultats » is the second choice
    await a.keyboard.press('ArrowDown');
    await a.keyboard.press('ArrowDown');
    await a.keyboard.press('Tab');
    await a.keyboard.type('Patients en ALD sans médecin traitant déclaré / patients en ALD');
    await a.keyboard.press('Tab');
    await a.keyboard.type('Assurance Maladie');
    await a.keyboard.press('Tab');
    await a.keyboard.type('Trimestrielle');
    await a.keyboard.press('Tab');
    await a.keyboard.type('12 % (2025)');
    await a.keyboard.press('Tab');
    await a.keyboard.type('6 % fin 2027');
    await a.keyboard.press('Tab'); // Conditionne le financement: « Oui »
    await a.keyboard.press('ArrowDown');
    assert.equal(await column.getByLabel('Conditionne le financement', { exact: true }).inputValue(), 'Oui');
    await a.keyboard.press('Tab'); // the colour
    await a.keyboard.press('Tab'); // « Ajouter la note »
    assert.equal(await a.evaluate(() => document.activeElement.textContent), 'Ajouter la note');
    await a.keyboard.press('Enter');
    await card.waitFor();
    assert.deepEqual(await cardFields(), {
      'Moyens ou résultats': 'Résultats',
      Définition: 'Patients en ALD sans médecin traitant déclaré / patients en ALD',
      Source: 'Assurance Maladie',
      Fréquence: 'Trimestrielle',
      'Valeur de départ': '12 % (2025)',
      Cible: '6 % fin 2027',
      'Conditionne le financement': 'Oui',
    });
    // The composer is empty again, ready for the next indicator.
    assert.equal(await area.inputValue(), '');
    assert.equal(await column.getByLabel('Source', { exact: true }).inputValue(), '');
    assert.equal(await column.getByLabel('Moyens ou résultats', { exact: true }).inputValue(), '');
    // Another one with its text and a single field.
    await area.fill('Nombre de réunions pluriprofessionnelles');
    await column.getByLabel('Moyens ou résultats', { exact: true }).selectOption('Moyens');
    await area.press('Control+Enter');
    await a.locator('main li.note:not(.note-pending)', { hasText: 'Nombre de réunions pluriprofessionnelles' })
      .locator('dl.note-fields').filter({ hasText: 'Moyens' }).waitFor();
  });

  await step('a field changed from the edit form (keyboard), the others kept', async () => {
    await card.getByRole('button', { name: 'Modifier' }).focus();
    await a.keyboard.press('Enter');
    const cible = card.getByLabel('Cible', { exact: true });
    await cible.waitFor();
    assert.equal(await cible.inputValue(), '6 % fin 2027');
    assert.equal(await card.getByLabel('Moyens ou résultats', { exact: true }).inputValue(), 'Résultats');
    await assertAxeClean(a, 'the edit form of a structured note');
    await cible.fill('5 % fin 2027');
    await card.getByLabel('Conditionne le financement', { exact: true }).selectOption('Non');
    await cible.press('Enter');
    await card.locator('dl.note-fields').filter({ hasText: '5 % fin 2027' }).waitFor();
    const fields = await cardFields();
    assert.equal(fields.Cible, '5 % fin 2027');
    assert.equal(fields['Conditionne le financement'], 'Non');
    assert.equal(fields.Source, 'Assurance Maladie');
    assert.equal(await card.getByRole('button', { name: 'Modifier' }).count(), 1, 'the form is closed');
  });

  await step('the report prints the column as a table; indicators.csv has a row per indicator', async () => {
    await call('POST', `${path}/report`);
    const csv = await a.request.get(`${base}${path}/indicators.csv`);
    assert.equal(csv.status(), 200);
    const lines = (await csv.text()).replace(/^\uFEFF/, '').split('\r\n');
    assert.equal(lines[0], 'Indicateur;Moyens ou résultats;Définition;Source;Fréquence;Valeur de départ;Cible;Conditionne le financement;Votes');
    assert.equal(lines[1], `${INDICATOR};Résultats;Patients en ALD sans médecin traitant déclaré / patients en ALD;Assurance Maladie;Trimestrielle;12 % (2025);5 % fin 2027;Non;0`);
    assert.equal(lines[2], 'Nombre de réunions pluriprofessionnelles;Moyens;;;;;;;0');
    const html = await (await a.request.get(`${base}${path}/report.html`)).text();
    assert.ok(html.includes('<tr><th scope="col">Indicateur</th><th scope="col">Moyens ou résultats</th>'), 'the table header');
    assert.ok(html.includes(`<td>${INDICATOR}</td><td>Résultats</td>`), 'a row per indicator');
  });

  await step('on a phone (390 px, 320 px): the composer and the card fit, no horizontal overflow', async () => {
    for (const width of [390, 320]) {
      await a.setViewportSize({ width, height: 780 });
      await assertNoOverflow(a);
      const right = await a.evaluate(() => Math.max(...[...document.querySelectorAll('.note-fields-form, .note-fields, .note-form')]
        .map((el) => el.getBoundingClientRect().right)));
      assert.ok(right <= width, `the composer and the cards fit at ${width}px (${right})`);
    }
    await assertAxeClean(a, 'the structured column on a phone');
    await a.setViewportSize({ width: 1366, height: 900 });
  });

  await step('no console error nor CSP violation', async () => {
    assertNoProblems(problems);
  });
}

runTest({ name: 'workshop_fields.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
