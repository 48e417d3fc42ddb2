#!/usr/bin/env node
// Browser test of a workshop run with 30 people: an administrator facilitates from the
// real board page; 28 guests join through one invite link, each on its own WebSocket (a
// light page per guest, in its own browser context, so each has its own cookie) and post
// three notes each in the SWOT's four columns (84 notes); one more guest, Bruno, uses the
// real board page. Asserted at 1366 px: the board is a workspace (the four columns side by
// side in one row, each with its composer in the first screen and its notes scrolling
// inside it, the page under three screens tall, no horizontal scrolling of the page), the
// compact bar with the timer stays in view when scrolling, presence counts everyone, a
// long note is clamped with « Lire la suite », a paste longer than a note is refused with a
// message and nothing cut. At 390 px and 320 px: one column at a time with tabs, no
// horizontal overflow, a compact sticky bar, no « Ctrl+Entrée » hint. When the facilitator
// locks the board, Bruno's composer is disabled with the reason said once, in the bar, and
// his typed text stays. Each guest then writes an enjeu beside the SWOT; votes: 84 votes
// cast over the sockets on the enjeux, the vote button says how many are left, the
// facilitator sees « 28 / 30 ont voté ». Bruno's link revoked, his board says so.
// axe-core clean on the busy board.
//
// Usage: node workshop_30.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import {
  STEP_TIMEOUT_MS, addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, runTest, signIn, startServer, step, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 170_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Animatrice', password: 'correct horse battery' };
const CLARA = { email: 'clara@test.fr', name: 'Clara Coanimatrice', password: 'clara mot de passe' };
const GUESTS = 28;
const COLUMNS = ['forces', 'faiblesses', 'opportunites', 'menaces'];
const LONG = `Une note longue : ${'les professionnels du territoire veulent travailler ensemble sur les parcours. '.repeat(6)}`;

/**
 * In a guest's light page: opens /ws, joins, runs `ops` (each awaited for its ack), and
 * resolves with the acks' seqs (a note's id is the seq of the event that created it).
 * Runs inside the browser (no Node WebSocket needed).
 */
function guestScript({ workshop, ops }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/ws`);
    let next = 0;
    const acked = [];
    const timer = setTimeout(() => reject(new Error(`guest timed out after ${acked.length} acks`)), 30_000);
    const sendNext = () => {
      if (next >= ops.length) {
        clearTimeout(timer);
        resolve(acked);
        return;
      }
      const op = ops[next];
      next += 1;
      ws.send(JSON.stringify({ type: 'op', workshop, id: `g${Math.random().toString(36).slice(2)}`, ...op }));
    };
    ws.onopen = () => ws.send(JSON.stringify({ type: 'join', workshop }));
    ws.onmessage = (e) => {
      for (const line of String(e.data).split('\n')) {
        if (!line) continue;
        const msg = JSON.parse(line);
        if (msg.type === 'snapshot' || msg.type === 'events') sendNext();
        else if (msg.type === 'ack') { acked.push(msg.seq); sendNext(); }
        else if (msg.type === 'error') { clearTimeout(timer); reject(new Error(`${msg.code}: ${msg.message}`)); }
      }
    };
    ws.onerror = () => reject(new Error('socket error'));
    window.__guestSocket = ws; // kept open: the guest stays present
  });
}

async function run(relais) {
  const dataDir = await makeDataDir('relais-30-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  await addUser(relais, dataDir, CLARA, 'animateur');
  const base = await startServer(relais, dataDir);
  log(`# server at ${base}`);
  const browser = await launchBrowser();
  const problems = [];

  // The facilitator's page.
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1366, height: 768 } });
  const a = await context.newPage();
  a.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watchPage(a, problems, { who: 'animatrice', allow: (text, where) => isExpected401(text, where, ['/api/me']) });
  await signIn(a, base, ADMIN);
  const call = async (method, path, data) => {
    const response = await a.request.fetch(`${base}${path}`, { method, data, headers: { Origin: base } });
    assert.ok(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`);
    return response.status() === 204 ? null : response.json();
  };
  const workshop = (await call('POST', '/api/workshops', {
    title: 'Atelier SWOT à trente', stage: 'projet_sante', template: 'swot', date: '2026-12-01T14:00',
  })).workshop;
  await call('POST', `/api/workshops/${workshop.id}/state`, { state: 'scheduled' });
  await call('POST', `/api/workshops/${workshop.id}/state`, { state: 'live' });
  const invite = (await call('POST', `/api/workshops/${workshop.id}/invites`, { role: 'participant' })).invite;
  const { token } = invite;
  const boardUrl = `${base}/ateliers/${workshop.id}/tableau`;

  await step('the facilitator opens the board and moves to the SWOT (four columns)', async () => {
    await a.goto(boardUrl);
    await heading(a, /^Atelier SWOT à trente$/);
    await a.locator('.live-status-online').waitFor();
    await a.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ index: 1 });
    await a.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
    await a.locator('main h2.board-phase-title').filter({ hasText: 'Phase 2 sur' }).waitFor();
  });

  const guests = [];
  let noteIds = [];
  await step(`${GUESTS} guests join through one link and post three notes each over their sockets`, async () => {
    for (let i = 0; i < GUESTS; i += 1) {
      const gc = await browser.newContext();
      const joined = await gc.request.post(`${base}/api/invites/${token}/join`, { data: { name: `Invité ${i + 1}` }, headers: { Origin: base } });
      assert.ok(joined.ok(), `join ${i}: ${joined.status()}`);
      const page = await gc.newPage();
      await page.goto(`${base}/favicon.svg`);
      guests.push(page);
    }
    const ops = (i) => [0, 1, 2].map((k) => ({
      op: 'note.add', column: COLUMNS[(i + k) % 4], text: i === 0 && k === 0 ? LONG : `Idée ${k + 1} de l’invité ${i + 1} : ${'mieux coordonner les soins. '.repeat(1 + (i % 3))}`,
    }));
    const acks = await Promise.all(guests.map((page, i) => page.evaluate(guestScript, { workshop: workshop.id, ops: ops(i) })));
    noteIds = acks.flat();
    assert.equal(noteIds.length, GUESTS * 3);
    await a.locator('main li.note').nth(GUESTS * 3 - 1).waitFor();
    assert.equal(await a.locator('main li.note').count(), GUESTS * 3);
  });

  const bruno = await (async () => {
    const bc = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1366, height: 768 } });
    const page = await bc.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    // After his link is revoked (last steps), his board's checks answer 401.
    await watchPage(page, problems, { who: 'bruno', allow: (text, where) => isExpected401(text, where, ['/api/me', `/api/workshops/${workshop.id}`]) });
    return page;
  })();

  await step('Bruno joins with the real page: everyone is present (30)', async () => {
    await bruno.goto(`${base}/invitation/${token}`);
    await bruno.getByLabel('Votre nom', { exact: true }).fill('Bruno');
    await bruno.getByRole('button', { name: 'Rejoindre l’atelier' }).click();
    await bruno.waitForURL(/\/tableau$/);
    await bruno.locator('.live-status-online').waitFor();
    // Presence and chat are in the side panel, closed by default below 1600 px.
    const side = a.getByRole('button', { name: 'Participants et discussion' });
    assert.equal(await side.getAttribute('aria-expanded'), 'false');
    await side.click();
    assert.equal(await side.getAttribute('aria-expanded'), 'true');
    await a.locator('.presence-list li.online').nth(GUESTS + 1).waitFor();
    assert.equal(await a.locator('.presence-list li.online').count(), GUESTS + 2);
    await side.click();
    await a.locator('.presence-list').waitFor({ state: 'hidden' });
  });

  await step('Bruno, on a phone: the phase says his notes are private until the next phase; two typing « écrivent »', async () => {
    await bruno.setViewportSize({ width: 390, height: 844 });
    await bruno.locator('.board-bar .board-phase-info').filter({ hasText: 'Notes privées' }).waitFor({ state: 'visible' });
    await bruno.locator('main .board-hint')
      .filter({ hasText: 'Vos notes ne sont visibles que de vous et de l’animation jusqu’à la phase suivante' }).waitFor({ state: 'visible' });
    await assertNoOverflow(bruno);
    await bruno.setViewportSize({ width: 1366, height: 768 });
    const side = bruno.getByRole('button', { name: 'Participants et discussion' });
    if (await side.getAttribute('aria-expanded') === 'false') await side.click();
    await Promise.all(guests.slice(0, 2).map((page) => page.evaluate((w) => window.__guestSocket.send(JSON.stringify({ type: 'typing', workshop: w })), workshop.id)));
    await bruno.locator('.board-side .typing').filter({ hasText: /^Invité \d+ et Invité \d+ écrivent…$/ }).waitFor();
    await side.click();
  });

  await step('at 1366 px the board is a workspace: four columns in one row, composers in the first screen, under three screens', async () => {
    const layout = await a.evaluate(() => {
      const columns = [...document.querySelectorAll('.board-column')];
      const tops = columns.map((c) => Math.round(c.getBoundingClientRect().top + window.scrollY));
      const composers = columns.map((c) => c.querySelector('textarea').getBoundingClientRect().top + window.scrollY);
      const notes = columns.map((c) => { const n = c.querySelector('.column-notes'); return [n.scrollHeight, n.clientHeight]; });
      const right = Math.max(...columns.map((c) => c.getBoundingClientRect().right));
      return { n: columns.length, tops, composers, notes, right, width: window.innerWidth, height: document.documentElement.scrollHeight, screen: window.innerHeight };
    });
    assert.equal(layout.n, 4);
    assert.equal(new Set(layout.tops).size, 1, `the columns are in one row: ${layout.tops}`);
    assert.ok(layout.right <= layout.width, `with the side panel closed the four columns fit (${layout.right} > ${layout.width})`);
    for (const top of layout.composers) assert.ok(top < layout.screen, `a composer at ${top}px is beyond the first screen`);
    assert.ok(layout.notes.some(([scroll, client]) => scroll > client), 'the notes scroll inside their column');
    assert.ok(layout.height < 3 * layout.screen, `the page is ${(layout.height / layout.screen).toFixed(1)} screens tall`);
    await assertNoOverflow(a);
    // The bar with the timer stays in view when scrolling.
    await a.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const barTop = await a.locator('.board-bar').evaluate((el) => el.getBoundingClientRect().top);
    assert.ok(barTop >= 0 && barTop < 5, `the bar is in view (top ${barTop})`);
    await a.evaluate(() => window.scrollTo(0, 0));
  });

  await step('a long note is clamped with « Lire la suite »; a too long paste is refused, nothing cut', async () => {
    const note = a.locator('main li.note').filter({ hasText: 'Une note longue' });
    await note.locator('.note-clamped').waitFor();
    await note.getByRole('button', { name: 'Lire la suite' }).click();
    await note.getByRole('button', { name: 'Réduire' }).waitFor();
    assert.equal(await note.locator('.note-clamped').count(), 0);
    const area = a.getByRole('region', { name: 'Forces', exact: true }).getByLabel('Nouvelle note', { exact: true });
    await area.fill('Début gardé');
    const refused = await area.evaluate((el) => {
      const data = new DataTransfer();
      data.setData('text/plain', 'x'.repeat(1200));
      const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
      el.dispatchEvent(event);
      return event.defaultPrevented;
    });
    assert.equal(refused, true);
    assert.equal(await area.inputValue(), 'Début gardé');
    // Numbers in French: « 1 211 », grouped with a narrow no-break space.
    await a.locator('.live-error').filter({ hasText: /Le texte collé ferait 1\u202F211 caractères\s: une note en compte 1\u202F000 au plus/ }).waitFor();
    await area.fill('');
  });

  await step('axe finds nothing on the busy board', async () => {
    await assertAxeClean(a, 'the board with 30 people and 84 notes');
  });

  await step('on a phone (390 px, 320 px): one column at a time, with tabs; no horizontal overflow', async () => {
    assert.ok(await a.getByText(/Ctrl\+Entrée pour envoyer/).count() > 0, 'the shortcut is offered with a keyboard');
    for (const width of [390, 320]) {
      await a.setViewportSize({ width, height: 780 });
      await assertNoOverflow(a);
      const visible = await a.locator('.board-column:visible').count();
      assert.equal(visible, 1, `one column shown at ${width}px`);
      assert.equal(await a.getByText(/Ctrl\+Entrée/).count(), 0, `no « Ctrl+Entrée » at ${width}px`);
    }
    // The sticky bar at 390 × 844: compact, with the phase and the timer (measured down to
    // its toggles: a message, shown for a while, may follow them).
    await a.setViewportSize({ width: 390, height: 844 });
    const bar = await a.locator('.board-bar').evaluate((el) => ({
      height: el.querySelector('.board-bar-tools').getBoundingClientRect().bottom - el.getBoundingClientRect().top,
      phase: el.querySelector('.board-phase-title').getBoundingClientRect().height > 0,
      timer: el.querySelector('.timer-value').getBoundingClientRect().width > 1,
    }));
    assert.ok(bar.height <= 140 && bar.phase && bar.timer, `the bar: ${JSON.stringify(bar)}`);
    const tab = a.getByRole('button', { name: /^Faiblesses \(\d+\)$/ });
    await tab.click();
    assert.equal(await tab.getAttribute('aria-pressed'), 'true');
    await a.getByRole('heading', { name: 'Faiblesses', exact: true }).waitFor();
    assert.equal(await a.locator('.board-column:visible h3').textContent(), 'Faiblesses');
    await assertAxeClean(a, 'the board on a phone');
    await a.setViewportSize({ width: 1366, height: 768 });
  });

  await step('locked by the facilitator: Bruno’s composer is disabled with the reason, his text kept', async () => {
    const area = bruno.getByRole('region', { name: 'Menaces', exact: true }).getByLabel('Nouvelle note', { exact: true });
    await area.fill('Le manque de médecins');
    await a.getByRole('button', { name: 'Verrouiller le tableau' }).click();
    // The reason is said once, in the bar, not in each of the four columns; each composer names it.
    const reason = bruno.locator('.board-bar .composer-reason').filter({ hasText: 'L’animateur a verrouillé le tableau' });
    await reason.waitFor();
    assert.equal(await bruno.locator('.board-column .composer-reason:visible').count(), 0, 'no reason repeated in the columns');
    assert.equal(await bruno.getByText(/verrouillé/).count(), 1, 'the lock is said once');
    assert.ok((await area.getAttribute('aria-describedby')).split(' ').includes(await reason.getAttribute('id')));
    assert.equal(await area.isDisabled(), true);
    assert.equal(await area.inputValue(), 'Le manque de médecins');
    await a.getByRole('button', { name: 'Déverrouiller le tableau' }).click();
    await bruno.waitForFunction(() => !document.querySelector('.board-column textarea').disabled);
    await area.press('Control+Enter');
    await a.locator('main li.note').filter({ hasText: 'Le manque de médecins' }).waitFor();
  });

  await step('the facilitator chose to lock at 0:00: at 0:00 the timer turns and Bruno’s composer closes, saying why', async () => {
    await a.getByRole('button', { name: 'Autres contrôles' }).click();
    const zero = a.getByRole('button', { name: 'Verrouiller le tableau à 0:00' });
    await zero.click();
    await a.waitForFunction(() => document.querySelector('[aria-pressed="true"]')?.textContent === 'Verrouiller le tableau à 0:00');
    // A two-second timer, started over the facilitator's own session (the page offers the phase's duration).
    await a.evaluate((w) => new Promise((resolve, reject) => {
      const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/ws`);
      ws.onopen = () => ws.send(JSON.stringify({ type: 'join', workshop: w }));
      ws.onmessage = (e) => {
        for (const line of String(e.data).split('\n')) {
          if (!line) continue;
          const msg = JSON.parse(line);
          if (msg.type === 'snapshot') ws.send(JSON.stringify({ type: 'op', workshop: w, id: 'minuteur', op: 'timer.start', seconds: 2 }));
          if (msg.type === 'ack') { ws.close(); resolve(); }
          if (msg.type === 'error') reject(new Error(msg.code));
        }
      };
    }), workshop.id);
    await a.locator('.timer.timer-up').waitFor();
    await a.locator('.timer').filter({ hasText: 'Temps écoulé' }).waitFor();
    await bruno.locator('.composer-reason').filter({ hasText: 'Le temps est écoulé' }).first().waitFor();
    assert.equal(await bruno.locator('.board-column textarea').first().isDisabled(), true);
    await zero.click();
    await bruno.waitForFunction(() => !document.querySelector('.board-column textarea').disabled);
    await a.getByRole('button', { name: 'Autres contrôles' }).click();
  });

  let enjeuIds = [];
  await step('from the SWOT to the enjeux: each guest writes one beside the SWOT', async () => {
    await a.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ label: '4. Des constats aux enjeux' });
    await a.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
    await bruno.locator('main h2.board-phase-title').filter({ hasText: 'Des constats aux enjeux' }).waitFor();
    // A fresh socket each (the first ones were closed by the server once idle).
    const acks = await Promise.all(guests.map((page, i) => page.evaluate(guestScript, {
      workshop: workshop.id, ops: [{ op: 'note.add', column: 'enjeux', text: `Enjeu ${i + 1} : mieux coordonner les soins non programmés` }],
    })));
    enjeuIds = acks.flat();
    assert.equal(enjeuIds.length, GUESTS);
    await a.getByRole('region', { name: 'Enjeux de santé', exact: true }).locator('li.note').nth(GUESTS - 1).waitFor();
  });

  await step('votes: 84 votes over the sockets; the vote button says how many are left', async () => {
    await a.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ label: '5. Vote des enjeux prioritaires' });
    await a.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
    await bruno.locator('main h2.board-phase-title').filter({ hasText: 'Vote' }).waitFor();
    // Each guest casts the phase's 3 votes on the enjeux.
    const votes = await Promise.all(guests.map((page, i) => page.evaluate(guestScript, {
      workshop: workshop.id, ops: [0, 1, 2].map((k) => ({ op: 'vote.cast', note: enjeuIds[(i + k * 7) % enjeuIds.length] })),
    })));
    assert.equal(votes.flat().length, GUESTS * 3);
    // The facilitator sees who has voted: the 28 guests, of the 30 (her and Bruno too).
    const voted = a.locator('.board-bar .votes-voters');
    await voted.filter({ hasText: /^28 \/ 30 ont voté$/ }).waitFor();
    const budget = await bruno.locator('main .votes-left').textContent();
    const left = Number(/Votes restants\s:\s(\d+)/.exec(budget)[1]);
    const first = bruno.locator('main li.note').first();
    await first.getByRole('button', { name: `Voter (${left} votes restants)` }).click();
    await first.getByRole('button', { name: left - 1 === 1 ? 'Voter (1 vote restant)' : `Voter (${left - 1} votes restants)` }).waitFor();
    await voted.filter({ hasText: /^29 \/ 30 ont voté$/ }).waitFor();
  });

  await step('the reveal shows the ranking (ties said); the top 3 are retained and the action plan answers them', async () => {
    await a.getByRole('button', { name: 'Révéler les votes', exact: true }).click();
    const ranking = a.getByRole('region', { name: 'Classement des votes' });
    await ranking.waitFor();
    const items = ranking.locator('.ranking-list > li');
    await items.first().waitFor();
    assert.match(await items.first().textContent(), /^1er( ex æquo)? .+ \(\d+ votes?\)$/);
    // The same list for a participant, once revealed.
    await bruno.getByRole('region', { name: 'Classement des votes' }).locator('.ranking-list > li').first().waitFor();
    await assertAxeClean(a, 'the ranking after the reveal');
    await ranking.getByLabel('Retenir les premiers du classement, jusqu’au rang').fill('3');
    await ranking.getByRole('button', { name: 'Retenir pour le plan d’action' }).click();
    await ranking.locator('.ranking-retained').first().waitFor();
    const retainedCount = await ranking.locator('.ranking-retained').count();
    assert.ok(retainedCount >= 3, `at least the top 3 (ties kept): ${retainedCount}`);
    await a.getByLabel('Phase à ouvrir', { exact: true }).selectOption({ label: '6. Plan d\'action' });
    await a.getByRole('button', { name: 'Aller à la phase', exact: true }).click();
    const retained = a.getByRole('region', { name: 'Enjeux retenus' });
    await retained.locator('li').nth(retainedCount - 1).waitFor();
    const first = (await retained.locator('.ranking-text').first().textContent()).trim();
    const form = a.getByRole('form', { name: 'Ajouter une action' });
    await form.getByLabel('Enjeu auquel l’action répond').selectOption({ index: 1 });
    await form.getByLabel('Quoi', { exact: true }).fill('Réunir les médecins du secteur');
    await form.getByRole('button', { name: 'Ajouter l’action' }).click();
    const row = a.getByRole('table', { name: 'Actions décidées' }).getByRole('row').filter({ hasText: 'Réunir les médecins du secteur' });
    await row.waitFor();
    assert.equal((await row.getByRole('cell').first().textContent()).trim(), first);
    // The form empties on the ack, which may come after the room's event: wait for it
    // (typing before it keeps the form as it is, enjeu included).
    await a.waitForFunction(() => {
      const f = document.querySelector('form[aria-label="Ajouter une action"]');
      return f && f.elements.namedItem('what').value === '' && f.elements.namedItem('item').value === '';
    });
    // The report's order (Enjeu, Qui, Quoi, Quand); an action with no enjeu: a dash,
    // read « aucun enjeu » (the report leaves that cell empty).
    await form.getByLabel('Quoi', { exact: true }).fill('Informer les pharmacies');
    await form.getByLabel('Qui', { exact: true }).fill('Alice');
    await form.getByRole('button', { name: 'Ajouter l’action' }).click();
    const table = a.getByRole('table', { name: 'Actions décidées' });
    const noItem = table.getByRole('row').filter({ hasText: 'Informer les pharmacies' });
    await noItem.waitFor();
    const heads = (await table.locator('thead th').allTextContents()).map((x) => x.trim());
    assert.deepEqual(heads.slice(0, 4), ['Enjeu', 'Qui', 'Quoi', 'Quand']);
    const cell = noItem.locator('td').first();
    assert.equal((await cell.textContent()).trim(), '—aucun enjeu');
    assert.equal(await cell.locator('[aria-hidden="true"]').textContent(), '—');
    assert.equal(await cell.locator('.visually-hidden').textContent(), 'aucun enjeu');
    assert.equal((await noItem.locator('td').nth(1).textContent()).trim(), 'Alice', 'Qui comes second');
    await retained.getByText('1 action').first().waitFor();
    await bruno.getByRole('region', { name: 'Enjeux retenus' }).getByText(first).waitFor();
    await assertAxeClean(a, 'the action plan with retained items');
    // The action plan on phones: no sideways scrolling of the page (its table scrolls in itself).
    for (const width of [390, 320]) {
      await a.setViewportSize({ width, height: 780 });
      await assertNoOverflow(a);
    }
    await a.setViewportSize({ width: 1366, height: 768 });
  });

  await step('co-facilitation: Clara is added from the workshop page and has the controls; removed, she has them no more', async () => {
    await a.goto(`${base}/ateliers/${workshop.id}`);
    await heading(a, /^Atelier SWOT à trente$/);
    const form = a.getByRole('form', { name: 'Ajouter un co-animateur' });
    await form.getByLabel('Animateur à ajouter').selectOption({ label: CLARA.name });
    await form.getByRole('button', { name: 'Ajouter comme co-animateur' }).click();
    await a.getByRole('button', { name: `Retirer de l’animation : ${CLARA.name}` }).waitFor();
    assert.equal(await a.getByRole('form', { name: 'Ajouter un co-animateur' }).count(), 0, 'two animateurs at most');
    await assertAxeClean(a, 'the workshop page with two animateurs');
    const cc = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1366, height: 768 } });
    const clara = await cc.newPage();
    clara.setDefaultTimeout(STEP_TIMEOUT_MS);
    await watchPage(clara, problems, { who: 'clara', allow: (text, where) => isExpected401(text, where, ['/api/me']) });
    await signIn(clara, base, CLARA);
    await clara.goto(boardUrl);
    await clara.getByRole('group', { name: 'Animation', exact: true }).waitFor();
    await clara.getByRole('button', { name: /^(Verrouiller|Déverrouiller) le tableau$/ }).waitFor();
    await a.getByRole('button', { name: `Retirer de l’animation : ${CLARA.name}` }).click();
    await a.getByRole('form', { name: 'Ajouter un co-animateur' }).waitFor();
    // Her board rejoins with her new role: no controls.
    await clara.getByRole('group', { name: 'Animation', exact: true }).waitFor({ state: 'hidden' });
    await clara.getByRole('button', { name: /^(Verrouiller|Déverrouiller) le tableau$/ }).waitFor({ state: 'hidden' });
  });

  await step('the link revoked: Bruno’s board turns read-only; reloaded, he is told how to come back (not sent to sign in)', async () => {
    await call('DELETE', `/api/workshops/${workshop.id}/invites/${invite.id}`);
    // Told that the invitation was revoked — not that he follows as an observer.
    await bruno.locator('.board-bar .board-ended').filter({ hasText: /^Invitation révoquée\. Votre accès à cet atelier a pris fin\./ }).waitFor();
    assert.equal(await bruno.getByText(/observateur/).count(), 0, 'not « en observateur »');
    await bruno.reload();
    await heading(bruno, /^Votre accès à cet atelier a pris fin$/);
    await bruno.getByText('Pour revenir, demandez un nouveau lien d’invitation à l’animateur de l’atelier.').waitFor();
    assert.match(new URL(bruno.url()).pathname, /\/tableau$/, 'not sent to the sign-in page');
    await assertAxeClean(bruno, 'the page of a guest whose access ended');
  });

  await step('closed: the compte rendu counts who was present, ranks the votes, lists the action; as PDF and ODT too', async () => {
    await call('POST', `/api/workshops/${workshop.id}/state`, { state: 'closed' });
    const { report } = await call('GET', `/api/workshops/${workshop.id}/report`);
    // The 30 of the room, and Clara who came in as co-facilitator.
    assert.match(report.markdown, /### Présents \(31\)/);
    assert.match(report.markdown, /## Classement : /);
    assert.match(report.markdown, /Réunir les médecins du secteur/);
    const pdf = await a.request.get(`${base}/api/workshops/${workshop.id}/report.pdf`);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
    const odt = await a.request.get(`${base}/api/workshops/${workshop.id}/report.odt`);
    assert.equal((await odt.body()).subarray(38, 77).toString(), 'application/vnd.oasis.opendocument.text');
  });

  await step('no console error nor CSP violation on any page', async () => {
    assertNoProblems(problems);
  });
}

runTest({ name: 'workshop_30.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
