#!/usr/bin/env node
// Browser test of preparing a workshop: leaving the creation form with typed text asks
// first (and staying keeps the text); after creation the details are edited on the
// workshop page; a changed phase plan not saved asks before leaving; the saved plan
// becomes a template offered at creation; the workshop is duplicated, and the copy, a
// draft, deleted. axe-core clean; no console error.
//
// Usage: node workshop_prepare.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  addUser, assertAxeClean, assertMessageInView, assertNoProblems, heading, launchBrowser, log,
  makeDataDir, runTest, signedIn, startServer, step, waitForPath,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 120_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };

async function run(relais) {
  const dataDir = await makeDataDir('relais-prepare-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);
  const browser = await launchBrowser();
  const problems = [];
  const { page: a, call: api } = await signedIn(browser, base, ADMIN, problems, { who: 'alice' });
  const cpts = (await api('POST', '/api/admin/orgs', { name: 'CPTS du Cambrésis', type: 'cpts', region: '32', departements: ['59'] })).org;
  const nav = () => a.getByRole('navigation', { name: 'Navigation principale' });
  let workshopUrl = '';

  await step('leaving the creation form with typed text asks first; staying keeps it', async () => {
    await a.goto(`${base}/ateliers/nouveau`);
    await heading(a, /^Créer un atelier$/);
    const form = a.locator('main form');
    await form.getByLabel('Titre', { exact: true }).fill('Atelier gouvernance');
    await nav().getByRole('link', { name: 'Bibliothèque', exact: true }).click();
    const dialog = a.getByRole('dialog', { name: 'Quitter sans enregistrer ?' });
    await dialog.waitFor();
    await assertAxeClean(a, 'the leave dialog');
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    await waitForPath(a, '/ateliers/nouveau');
    assert.equal(await form.getByLabel('Titre', { exact: true }).inputValue(), 'Atelier gouvernance');
    await form.getByLabel('Date et heure', { exact: true }).fill('2027-01-14T14:00');
    await form.getByLabel('Modèle', { exact: true }).selectOption('swot');
    await form.getByRole('button', { name: 'Créer l’atelier' }).click();
    await waitForPath(a, /^\/ateliers\/\d+$/);
    workshopUrl = new URL(a.url()).pathname;
  });

  await step('the details are edited on the workshop page', async () => {
    await heading(a, /^Atelier gouvernance$/);
    await a.getByRole('button', { name: 'Modifier les informations' }).click();
    const form = a.getByRole('form', { name: 'Modifier les informations de l’atelier' });
    await form.getByLabel('Titre', { exact: true }).fill('Atelier gouvernance de la CPTS');
    await form.getByLabel('Sujet', { exact: true }).fill('Qui décide quoi, et comment ?');
    await form.getByLabel('CPTS concernée', { exact: true }).selectOption({ label: cpts.name });
    await form.getByLabel('Date et heure', { exact: true }).fill('2027-01-21T09:30');
    await assertAxeClean(a, 'the workshop page with its edit form');
    await form.getByRole('button', { name: 'Enregistrer' }).click();
    await heading(a, /^Atelier gouvernance de la CPTS$/);
    const details = a.locator('dl.details');
    await details.getByText('Qui décide quoi, et comment ?').waitFor();
    await details.getByText(cpts.name).waitFor();
    await details.getByText(/21 janvier 2027/).waitFor();
  });

  await step('a changed phase plan not saved asks before leaving; saved, it becomes a template', async () => {
    await a.locator('details.phase-settings > summary').first().click();
    const title = a.getByLabel('Titre de la phase').first();
    await title.fill('Accueil et tour de table');
    await nav().getByRole('link', { name: 'Ateliers', exact: true }).click();
    const dialog = a.getByRole('dialog', { name: 'Quitter sans enregistrer ?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    assert.equal(await title.inputValue(), 'Accueil et tour de table');
    // A template from an unsaved plan is refused with the reason.
    const tform = a.getByRole('form', { name: 'Enregistrer le déroulé comme modèle' });
    await tform.getByLabel('Nom du modèle').fill('Gouvernance en 5 temps');
    await tform.getByRole('button', { name: 'Enregistrer comme modèle' }).click();
    await tform.getByRole('alert').filter({ hasText: 'Enregistrez d’abord le déroulé modifié' }).waitFor();
    await a.getByRole('button', { name: 'Enregistrer le déroulé' }).click();
    // Each confirmation is in view where the button was pressed; the next action clears it.
    await assertMessageInView(a, 'Le déroulé a été enregistré.');
    await tform.getByRole('button', { name: 'Enregistrer comme modèle' }).click();
    await assertMessageInView(a, 'Modèle « Gouvernance en 5 temps » enregistré.');
    assert.equal(await a.locator('.status-echo').count() <= 1, true, 'one message at a time');
    await assertAxeClean(a, 'the workshop page with a confirmation beside the template form');
    const templates = (await api('GET', '/api/templates')).templates;
    const made = templates.find((x) => x.name === 'Gouvernance en 5 temps');
    assert.ok(made, 'the template is offered');
    assert.equal(made.phases[0].title, 'Accueil et tour de table');
  });

  await step('duplicated, then the copy (a draft) deleted', async () => {
    await a.getByRole('button', { name: 'Dupliquer l’atelier' }).click();
    await heading(a, /^Atelier gouvernance de la CPTS \(copie\)$/);
    assert.notEqual(new URL(a.url()).pathname, workshopUrl);
    await a.locator('dl.details').getByText(cpts.name).waitFor();
    await a.locator('details.phase-settings > summary').first().click();
    assert.equal(await a.getByLabel('Titre de la phase').first().inputValue(), 'Accueil et tour de table');
    await a.getByRole('button', { name: 'Supprimer le brouillon' }).click();
    const dialog = a.getByRole('dialog', { name: 'Supprimer ce brouillon ?' });
    await dialog.getByRole('button', { name: 'Supprimer le brouillon' }).click();
    await waitForPath(a, '/ateliers');
    await a.getByText('Brouillon « Atelier gouvernance de la CPTS (copie) » supprimé.').waitFor();
    // The original is still there; once scheduled it can no longer be deleted.
    await a.goto(`${base}${workshopUrl}`);
    await heading(a, /^Atelier gouvernance de la CPTS$/);
    assert.equal(await a.getByRole('button', { name: 'Supprimer le brouillon' }).count(), 1);
    await a.getByRole('button', { name: 'Programmer' }).click();
    await a.getByRole('button', { name: 'Supprimer le brouillon' }).waitFor({ state: 'detached' });
  });

  await step('an invite link is shown again from the list of links', async () => {
    const form = a.getByRole('form', { name: 'Créer un lien d’invitation' });
    await form.getByLabel('Libellé (facultatif)').fill('Salle du conseil');
    await form.getByRole('button', { name: 'Créer le lien' }).click();
    const first = await a.locator('.invite-result input').inputValue();
    assert.match(first, /\/invitation\//);
    await a.getByRole('button', { name: 'Afficher le lien Salle du conseil' }).click();
    assert.equal(await a.locator('.invite-result input').inputValue(), first);
  });

  await step('no console error nor CSP violation', async () => {
    assertNoProblems(problems);
  });
}

runTest({ name: 'workshop_prepare.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
