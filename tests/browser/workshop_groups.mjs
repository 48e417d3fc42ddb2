#!/usr/bin/env node
// Browser test of moving and grouping notes on the board, by keyboard and by mouse: in
// the SWOT's grouping phase the facilitator writes notes and creates groups; « Déplacer »
// (a dialog, from the keyboard) sends a note to another column and into a group; a note
// dragged with the mouse onto a group joins it; two groups are merged (« Fusionner »); a
// note changes colour from its edit form; deleting a group asks first; in anonymous mode
// the bar says so on a phone and one's own note says the others see « Anonyme ». axe-core
// clean with the dialogs open; no console error.
//
// Usage: node workshop_groups.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, launchBrowser, log,
  makeDataDir, runTest, signedIn, startServer, step,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 120_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };

async function run(relais) {
  const dataDir = await makeDataDir('relais-groups-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);
  const browser = await launchBrowser();
  const problems = [];
  const { page: a, call } = await signedIn(browser, base, ADMIN, problems, { who: 'alice' });
  const workshop = (await call('POST', '/api/workshops', { title: 'Regroupement', stage: 'projet_sante', template: 'swot', date: '2026-12-01T14:00' })).workshop;
  await call('POST', `/api/workshops/${workshop.id}/state`, { state: 'scheduled' });
  await call('POST', `/api/workshops/${workshop.id}/state`, { state: 'live' });
  const column = (title) => a.getByRole('region', { name: title, exact: true });
  const note = (text) => a.locator('main li.note:not(.note-pending)', { hasText: text });
  const post = async (title, text) => {
    const area = column(title).getByLabel('Nouvelle note', { exact: true });
    await area.fill(text);
    await area.press('Control+Enter');
    await note(text).waitFor();
  };
  const group = async (title, name) => {
    const box = column(title).locator('details.group-create');
    if (!(await box.evaluate((d) => d.open))) await box.locator('summary').click();
    await column(title).getByLabel('Titre du nouveau groupe', { exact: true }).fill(name);
    await column(title).getByRole('button', { name: 'Créer le groupe' }).click();
    await column(title).getByRole('heading', { name, exact: true }).waitFor();
  };

  await step('in the grouping phase: notes and groups', async () => {
    await a.goto(`${base}/ateliers/${workshop.id}/tableau`);
    await heading(a, /^Regroupement$/);
    await a.locator('.live-status-online').waitFor();
    await a.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ index: 2 });
    await a.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
    await a.locator('main h2.board-phase-title').filter({ hasText: 'Phase 3 sur' }).waitFor();
    await post('Forces', 'Une MSP à Cambrai');
    await post('Forces', 'Des pharmaciens motivés');
    await post('Faiblesses', 'Une opportunité écrite au mauvais endroit');
    await group('Forces', 'Coopérations');
    await group('Forces', 'Exercice coordonné');
  });

  await step('« Déplacer » from the keyboard: another column', async () => {
    const moving = note('Une opportunité écrite au mauvais endroit');
    await moving.getByRole('button', { name: 'Déplacer' }).focus();
    await a.keyboard.press('Enter');
    const dialog = a.getByRole('dialog', { name: 'Déplacer la note' });
    await dialog.waitFor();
    await assertAxeClean(a, 'the move dialog');
    await dialog.getByLabel('Colonne', { exact: true }).selectOption({ label: 'Opportunités' });
    await dialog.getByRole('button', { name: 'Déplacer' }).click();
    await column('Opportunités').locator('li.note', { hasText: 'Une opportunité écrite au mauvais endroit' }).waitFor();
    assert.equal(await column('Faiblesses').locator('li.note').count(), 0);
    // Focus follows the note into its new column (not left on the old column's heading).
    await a.waitForFunction(() => {
      const el = document.activeElement;
      return el && el.textContent.trim() === 'Déplacer'
        && el.closest('li.note')?.textContent.includes('Une opportunité écrite au mauvais endroit');
    }, null, { timeout: 5000 });
  });

  await step('dragged with the mouse onto a group, a note joins it', async () => {
    const target = column('Forces').locator('.note-group', { has: a.getByRole('heading', { name: 'Coopérations', exact: true }) });
    // The drag events as the browser sends them (this headless Chromium does not synthesise
    // native drags): dragstart on the note, dragover and drop on the group, one DataTransfer.
    const source = await note('Une MSP à Cambrai').elementHandle();
    const onto = await target.elementHandle();
    await a.evaluate(([from, to]) => {
      const data = new DataTransfer();
      from.dispatchEvent(new DragEvent('dragstart', { dataTransfer: data, bubbles: true, cancelable: true }));
      const over = new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true });
      to.dispatchEvent(over);
      if (!over.defaultPrevented) throw new Error('the group did not accept the drop');
      to.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      from.dispatchEvent(new DragEvent('dragend', { dataTransfer: data, bubbles: true }));
    }, [source, onto]);
    await target.locator('li.note', { hasText: 'Une MSP à Cambrai' }).waitFor();
  });

  await step('« Déplacer » into a group, then the two groups merged', async () => {
    await note('Des pharmaciens motivés').getByRole('button', { name: 'Déplacer' }).click();
    const dialog = a.getByRole('dialog', { name: 'Déplacer la note' });
    await dialog.getByLabel('Groupe', { exact: true }).selectOption({ label: 'Exercice coordonné' });
    await dialog.getByRole('button', { name: 'Déplacer' }).click();
    const coordonne = column('Forces').locator('.note-group', { has: a.getByRole('heading', { name: 'Exercice coordonné', exact: true }) });
    await coordonne.locator('li.note', { hasText: 'Des pharmaciens motivés' }).waitFor();
    await coordonne.getByRole('button', { name: 'Fusionner' }).click();
    const merge = a.getByRole('dialog', { name: 'Fusionner le groupe « Exercice coordonné »' });
    await assertAxeClean(a, 'the merge dialog');
    await merge.getByLabel('Avec le groupe').selectOption({ label: 'Coopérations' });
    await merge.getByRole('button', { name: 'Fusionner' }).click();
    await column('Forces').getByRole('heading', { name: 'Exercice coordonné', exact: true }).waitFor({ state: 'detached' });
    const cooperations = column('Forces').locator('.note-group', { has: a.getByRole('heading', { name: 'Coopérations', exact: true }) });
    await cooperations.locator('li.note', { hasText: 'Des pharmaciens motivés' }).waitFor();
    assert.equal(await cooperations.locator('li.note').count(), 2);
  });

  await step('on a phone, a tap on « Déplacer » opens it; dragged with a finger onto another column\'s tab, the note moves there', async () => {
    // A phone's width; tall enough for the tabs and the note to be on screen together.
    await a.setViewportSize({ width: 390, height: 2200 });
    // The last move from the dialog opened its column's tab: back to « Forces ».
    await a.getByRole('button', { name: /^Forces/ }).click();
    // From the top of the page (the steps before scrolled it at 1366 px): the tabs are not
    // under the board's sticky bar.
    await a.evaluate(() => window.scrollTo(0, 0));
    // Real touch input through the DevTools protocol: the browser turns it into pointer
    // events of type touch, and honours touch-action on the « Déplacer » button.
    const cdp = await a.context().newCDPSession(a);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
    const touch = async (type, x, y) => cdp.send('Input.dispatchTouchEvent', {
      type, touchPoints: type === 'touchEnd' ? [] : [{ x: Math.round(x), y: Math.round(y), id: 1 }],
    });
    const centre = async (locator) => {
      await locator.scrollIntoViewIfNeeded();
      const box = await locator.boundingBox();
      return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    };
    const handle = note('Une MSP à Cambrai').getByRole('button', { name: 'Déplacer' });
    const tab = a.getByRole('button', { name: /^Opportunités/ });
    // A tap is a tap: the dialog.
    const tapAt = await centre(handle);
    await touch('touchStart', tapAt.x, tapAt.y);
    await touch('touchEnd', tapAt.x, tapAt.y);
    const dialog = a.getByRole('dialog', { name: 'Déplacer la note' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    // A drag: the tab under the finger is highlighted, the note goes to its column.
    const to = await centre(tab);
    const from = await centre(handle);
    assert.deepEqual(await centre(tab), to, 'the tab and the note are on screen together');
    await touch('touchStart', from.x, from.y);
    for (let i = 1; i <= 8; i += 1) {
      await touch('touchMove', from.x + ((to.x - from.x) * i) / 8, from.y + ((to.y - from.y) * i) / 8);
    }
    // Touch moves reach the page with the next frame: wait for the highlight.
    await a.waitForFunction((el) => el.classList.contains('drop-over'), await tab.elementHandle(), { timeout: 3000 });
    assert.equal(await a.locator('.drag-ghost').count(), 1, 'the note follows the finger');
    await touch('touchEnd', to.x, to.y);
    await a.locator('.drag-ghost').waitFor({ state: 'detached' });
    assert.equal(await a.getByRole('dialog', { name: 'Déplacer la note' }).count(), 0, 'a drag does not open the dialog');
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false });
    await cdp.detach();
    await tab.click();
    await column('Opportunités').locator('li.note', { hasText: 'Une MSP à Cambrai' }).waitFor();
    await a.setViewportSize({ width: 1366, height: 900 });
  });

  await step('a note changes colour from its edit form', async () => {
    const n = note('Une MSP à Cambrai');
    await n.getByRole('button', { name: 'Modifier' }).click();
    await n.getByLabel('Couleur').selectOption({ label: 'Vert' });
    await n.getByRole('button', { name: 'Enregistrer' }).click();
    await a.locator('main li.note.note-colour-vert', { hasText: 'Une MSP à Cambrai' }).waitFor();
  });

  await step('deleting a group asks first; cancelled, it stays; confirmed, it goes', async () => {
    await group('Forces', 'Groupe à supprimer');
    const heading = column('Forces').getByRole('heading', { name: 'Groupe à supprimer', exact: true });
    const remove = column('Forces').locator('.note-group', { has: a.getByRole('heading', { name: 'Groupe à supprimer', exact: true }) })
      .getByRole('button', { name: 'Supprimer le groupe' });
    await remove.click();
    const dialog = a.getByRole('dialog', { name: 'Supprimer le groupe « Groupe à supprimer » ?' });
    await dialog.getByRole('button', { name: 'Annuler', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await a.waitForTimeout(300);
    assert.equal(await heading.count(), 1, 'cancelled: the group stays');
    await remove.click();
    await dialog.getByRole('button', { name: 'Supprimer le groupe', exact: true }).click();
    await heading.waitFor({ state: 'detached' });
  });

  await step('anonymous mode, on a phone: the bar says so, and one\'s own note says that the others see « Anonyme »', async () => {
    const more = a.getByRole('button', { name: 'Autres contrôles', exact: true });
    if (await more.getAttribute('aria-expanded') === 'false') await more.click();
    await a.getByRole('button', { name: 'Mode anonyme', exact: true }).click();
    await note('Des pharmaciens motivés').filter({ hasText: 'les autres voient « Anonyme »' }).waitFor();
    await a.setViewportSize({ width: 390, height: 844 });
    await a.locator('.board-bar .board-phase-info').filter({ hasText: 'Mode anonyme' }).waitFor({ state: 'visible' });
    await assertNoOverflow(a);
    await assertAxeClean(a, 'the anonymous board on a phone');
    await a.setViewportSize({ width: 1366, height: 900 });
    await a.getByRole('button', { name: 'Mode anonyme', exact: true }).click();
    await note('Des pharmaciens motivés').filter({ hasNotText: 'Anonyme' }).waitFor();
    await more.click();
  });

  await step('after the vote\'s reveal, the ranking also says which groups came first', async () => {
    // The SWOT's vote is on the enjeux, written (and grouped) beside the SWOT first.
    await a.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ index: 3 });
    await a.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
    await a.locator('main h2.board-phase-title').filter({ hasText: 'Phase 4 sur' }).waitFor();
    await post('Enjeux de santé', 'Un médecin traitant pour chaque patient');
    await post('Enjeux de santé', 'Des soins non programmés en journée');
    await group('Enjeux de santé', 'Accès aux soins');
    await note('Un médecin traitant pour chaque patient').getByLabel('Groupe', { exact: true }).selectOption({ label: 'Accès aux soins' });
    await column('Enjeux de santé').locator('.note-group', { has: a.getByRole('heading', { name: 'Accès aux soins', exact: true }) })
      .locator('li.note', { hasText: 'Un médecin traitant pour chaque patient' }).waitFor();
    await a.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ index: 4 });
    await a.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
    await a.locator('main h2.board-phase-title').filter({ hasText: 'Phase 5 sur' }).waitFor();
    const vote = async (text, left) => {
      await note(text).getByRole('button', { name: `Voter (${left} ${left > 1 ? 'votes restants' : 'vote restant'})` }).click();
      await a.locator('main .votes-left').filter({ hasText: `Votes restants : ${left - 1}` }).waitFor();
    };
    await vote('Un médecin traitant pour chaque patient', 3);
    await vote('Un médecin traitant pour chaque patient', 2);
    await vote('Des soins non programmés en journée', 1);
    await a.getByRole('button', { name: 'Révéler les votes', exact: true }).click();
    const ranking = a.getByRole('region', { name: 'Classement des votes' });
    await ranking.getByRole('heading', { name: 'Par regroupement' }).waitFor();
    const groups = ranking.getByRole('list', { name: 'Par regroupement' }).getByRole('listitem');
    assert.equal(await groups.count(), 1);
    assert.equal((await groups.first().textContent()).replace(/\s+/g, ' ').trim(), '1er Accès aux soins (2 votes sur 1 note)');
    await assertAxeClean(a, 'the ranking with its groups');
  });

  await step('no console error nor CSP violation', async () => {
    assertNoProblems(problems);
  });
}

runTest({ name: 'workshop_groups.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
