#!/usr/bin/env node
// Browser test of the shared watch (« Veille »), against an RSS feed served on loopback:
// the fields and the coverage table; a member named owner of « Réglementation » tests a
// source (the preview lists what would be imported), adds it, sees the items arrive in
// « À qualifier », retains one with what to remember, finds it under « Retenus »; the
// coverage no longer flags the field as unattended; a member who does not own the field
// has no qualification form; reading from the keyboard (j/k, s, r: only inside the list,
// said aloud, documented under « Raccourcis clavier »); precise errors of « Signaler un lien
// ou une note »; confirmations in view beside the action, cleared by the next; « Non lus seulement »
// (kept in the address) and « Tout marquer comme lu »; no horizontal
// scrolling at 1366 px and at 390 px; axe-core finds no WCAG A/AA violation on each page.
//
// Usage: node watch.mjs /path/to/relais   (see harness.mjs for the conventions)

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {
  STEP_TIMEOUT_MS, addUser, assertAxeClean, assertNoOverflow, assertNoProblems, heading, isExpected401, launchBrowser, log,
  makeDataDir, runTest, signIn, startServer, step, waitForPath, watchPage,
} from './harness.mjs';

const RUN_TIMEOUT_MS = 150_000;
const ADMIN = { email: 'alice@test.fr', name: 'Alice Admin', password: 'correct horse battery' };
const OWNER = { email: 'vera@test.fr', name: 'Véra Veilleuse', password: 'vera mot de passe' };
const OTHER = { email: 'paul@test.fr', name: 'Paul Passant', password: 'paul mot de passe' };

function feed(base) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Actualités réglementaires</title><link>${base}/</link>
<item><title>Décret relatif aux missions des CPTS</title><link>${base}/decret</link><guid>d1</guid>
<pubDate>Mon, 30 Nov 2026 09:00:00 +0100</pubDate><description>Les missions socles sont précisées &lt;script&gt;alert(1)&lt;/script&gt;.</description></item>
<item><title>Avenant 2 à l'ACI signé</title><link>${base}/avenant</link><guid>a2</guid>
<pubDate>Fri, 27 Nov 2026 10:00:00 +0100</pubDate><description>Nouveaux indicateurs.</description></item>
</channel></rss>`;
}

function startFeedServer() {
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    if (req.url === '/flux.xml') {
      res.writeHead(200, { 'Content-Type': 'application/rss+xml; charset=utf-8' });
      res.end(feed(base));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('introuvable');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A minimal SMTP server on loopback that keeps each message's data. */
function startSmtpSink() {
  const messages = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let inData = false;
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          messages.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          inData = false;
          socket.write('250 OK\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol).toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith('EHLO') || line.startsWith('HELO')) socket.write('250 sink\r\n');
        else if (line.startsWith('DATA')) { inData = true; socket.write('354 go\r\n'); }
        else if (line.startsWith('QUIT')) { socket.end('221 bye\r\n'); return; }
        else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, messages })));
}

/** Quoted-printable decoded (enough to read a message's text). */
function unquote(text) {
  return Buffer.from(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (m, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1')
    .toString('utf8');
}

async function run(relais) {
  const feeds = await startFeedServer();
  const feedUrl = `http://127.0.0.1:${feeds.address().port}/flux.xml`;
  const dataDir = await makeDataDir('relais-watch-');
  await addUser(relais, dataDir, ADMIN, 'admin');
  await addUser(relais, dataDir, OWNER, 'membre');
  await addUser(relais, dataDir, OTHER, 'membre');
  const smtp = await startSmtpSink();
  const base = await startServer(relais, dataDir, ['--set', 'outbound.allow_loopback=true',
    '--set', 'mail.smtp_host=127.0.0.1', '--set', `mail.smtp_port=${smtp.server.address().port}`, '--set', 'mail.smtp_tls=none',
    '--set', 'mail.from_address=veille@reseau-cpts.test', '--set', 'mail.interval_s=1']);
  log(`# server at ${base}, feed at ${feedUrl}`);

  const browser = await launchBrowser();
  const problems = [];
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await watchPage(page, problems, { who: 'owner', allow: (text, where) => isExpected401(text, where, ['/api/me']) });

  // The administrator names the owner through the API.
  const adminApi = (await browser.newContext()).request;
  const call = async (method, path, data) => {
    const response = await adminApi.fetch(`${base}${path}`, { method, data, headers: { Origin: base } });
    assert.ok(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`);
    return response.json();
  };
  await call('POST', '/api/session', { email: ADMIN.email, password: ADMIN.password });
  const users = (await call('GET', '/api/admin/users')).users;
  const owner = users.find((u) => u.email === OWNER.email);
  const fields = (await call('GET', '/api/watch/fields')).fields;
  const reg = fields.find((f) => f.slug === 'reglementation');
  assert.ok(owner && reg, 'the owner and the seeded field exist');

  // The administrator's own page, signed in, on « Veille ».
  const adminOnWatch = async () => {
    const admin = await (await browser.newContext({ locale: 'fr-FR', viewport: { width: 1366, height: 900 } })).newPage();
    admin.setDefaultTimeout(STEP_TIMEOUT_MS);
    await watchPage(admin, problems, { who: 'admin', allow: (text, where) => isExpected401(text, where, ['/api/me']) });
    await signIn(admin, base, ADMIN);
    await admin.goto(`${base}/veille`);
    await heading(admin, /^Veille$/);
    return admin;
  };

  await step('« Veille » lists the seeded fields and the coverage, each field flagged without owner', async () => {
    await signIn(page, base, OWNER);
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Veille', exact: true }).click();
    await waitForPath(page, '/veille');
    await heading(page, /^Veille$/);
    for (const name of ['Réglementation', 'Benchmark inter-CPTS', 'Outils numériques', 'Financements']) {
      await page.getByRole('link', { name, exact: true }).first().waitFor();
    }
    const table = page.getByRole('table', { name: 'Couverture des champs de veille' });
    const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Réglementation' }) });
    await row.getByText('Aucun responsable actif pour ce champ.').waitFor();
    await row.getByText(/Aucune source/).waitFor();
    // At 1366 px the whole table is in its frame: « À surveiller » is not pushed out.
    const fit = await table.evaluate((el) => {
      const wrap = el.closest('.table-wrap');
      const flags = [...el.tHead.rows[0].cells].at(-1).getBoundingClientRect();
      return { scroll: wrap.scrollWidth, client: wrap.clientWidth, right: flags.right, wrapRight: wrap.getBoundingClientRect().right };
    });
    assert.ok(fit.scroll <= fit.client && fit.right <= fit.wrapRight, `the coverage table overflows its frame: ${JSON.stringify(fit)}`);
    await assertNoOverflow(page);
    await assertAxeClean(page, 'the watch overview');
  });

  await call('PUT', `/api/watch/fields/${reg.id}/owners`, { owners: [{ user_id: owner.id, role: 'owner' }] });

  await step('the owner tests a source: the preview says what would be imported', async () => {
    await page.getByRole('link', { name: 'Réglementation', exact: true }).first().click();
    await waitForPath(page, `/veille/champs/${reg.id}`);
    await heading(page, /^Réglementation$/);
    await page.getByText(`Responsables : ${OWNER.name}.`).waitFor();
    // While it has no source, the field says there is nothing to qualify, and what kind of source to add.
    await page.locator('.watch-empty').getByText(/^Rien à qualifier\s: ce champ n’a pas encore de source\. .*Ajoutez les flux des textes officiels/u).waitFor();
    await page.getByLabel('Adresse du flux ou du site').fill(feedUrl);
    await page.getByRole('button', { name: 'Tester la source' }).click();
    await page.getByText('« Actualités réglementaires » : 2 éléments seraient importés. Les premiers :').waitFor();
    await page.locator('.watch-preview li').filter({ hasText: 'Décret relatif aux missions des CPTS' }).waitFor();
  });

  await step('adding it brings its items into « À qualifier », as plain text', async () => {
    await page.getByRole('button', { name: 'Ajouter la source' }).click();
    await page.getByText('Source ajoutée : ses éléments sont dans la liste à qualifier.').waitFor();
    const items = page.locator('main li.watch-item');
    await items.first().waitFor();
    assert.equal(await items.count(), 2);
    assert.match(await items.nth(0).textContent(), /Décret relatif aux missions des CPTS/);
    assert.equal(await page.locator('main li.watch-item script').count(), 0);
    await page.getByRole('button', { name: /^À qualifier \(2\)/ }).waitFor();
    await page.locator('.watch-source').getByText('Lue', { exact: true }).waitFor();
    await assertNoOverflow(page);
    await assertAxeClean(page, 'a field with its sources and inbox');
  });

  await step('from the keyboard: the shortcuts act only in the list, are said, and are documented', async () => {
    // A letter typed outside the list does nothing (WCAG 2.1.4).
    await page.locator('main h1').click();
    await page.keyboard.press('j');
    await page.keyboard.press('s');
    assert.equal(await page.evaluate(() => Boolean(document.activeElement.closest('.watch-items'))), false, 'j outside the list moves nothing');
    assert.equal(await page.locator('main li.watch-item button[aria-pressed="true"]').count(), 0, 's outside the list changes nothing');
    // « Raccourcis clavier » says them.
    await page.locator('.watch-shortcuts summary').filter({ hasText: 'Raccourcis clavier' }).click();
    await page.locator('.watch-shortcuts').getByText('mettre l’élément en favori, ou l’en retirer').waitFor();
    await assertAxeClean(page, 'the inbox with its keyboard shortcuts shown');
    // In the list: s and r change the item and say so; j goes to the next one.
    const first = page.locator('main li.watch-item').first();
    await first.locator('a[data-focus="link"]').focus();
    await page.keyboard.press('s');
    await first.getByRole('button', { name: /^Favori/, pressed: true }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Ajouté aux favoris : Décret relatif aux missions des CPTS' }).waitFor();
    await page.keyboard.press('r');
    await page.locator('main li.watch-item').first().getByRole('button', { name: /^Lu/, pressed: true }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Marqué comme lu : Décret relatif aux missions des CPTS' }).waitFor();
    assert.equal(await page.locator('main li.watch-item').first().locator('.tag-unread').count(), 0);
    await page.keyboard.press('j');
    assert.equal(await page.locator('main li.watch-item').nth(1).evaluate((el) => el === document.activeElement), true);
  });

  await step('« Non lus seulement » hides what was read, and stays on after a reload', async () => {
    // The first item was read with r above: one unread left of two.
    await page.getByText('1 non lu', { exact: true }).waitFor();
    const toggle = page.getByRole('checkbox', { name: 'Non lus seulement' });
    assert.equal(await toggle.isChecked(), false);
    await toggle.focus();
    await page.keyboard.press('Space');
    await page.waitForURL((url) => url.searchParams.get('non-lus') === '1');
    const items = page.locator('main li.watch-item');
    await items.filter({ hasText: 'Décret relatif aux missions des CPTS' }).waitFor({ state: 'detached' });
    assert.equal(await items.count(), 1);
    assert.match(await items.first().textContent(), /Avenant 2 à l'ACI signé/);
    await page.reload();
    await heading(page, /^Réglementation$/);
    assert.equal(await page.getByRole('checkbox', { name: 'Non lus seulement' }).isChecked(), true);
    await items.first().waitFor();
    assert.equal(await items.count(), 1);
    await page.getByText('1 non lu', { exact: true }).waitFor();
    await assertNoOverflow(page);
    await assertAxeClean(page, 'the inbox with unread items only');
  });

  await step('« Tout marquer comme lu » marks them all from the keyboard; the count goes to 0', async () => {
    const markAll = page.getByRole('button', { name: 'Tout marquer comme lu' });
    assert.equal(await markAll.getAttribute('aria-disabled'), 'false');
    await markAll.focus();
    await page.keyboard.press('Enter');
    await page.getByText('1 élément marqué comme lu', { exact: true }).waitFor();
    await page.getByText('Aucun non lu', { exact: true }).waitFor();
    assert.equal(await page.locator('main li.watch-item').count(), 0);
    assert.equal(await markAll.getAttribute('aria-disabled'), 'true');
    assert.equal(await markAll.evaluate((el) => el === document.activeElement), true, 'the focus stays on the button');
    await page.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(page);
    await assertAxeClean(page, 'the inbox with everything read, on a phone');
    await page.setViewportSize({ width: 1366, height: 900 });
    // Off again: both items are there, read.
    await page.getByRole('checkbox', { name: 'Non lus seulement' }).uncheck();
    await page.waitForURL((url) => !url.searchParams.has('non-lus'));
    await page.locator('main li.watch-item').nth(1).waitFor();
    assert.equal(await page.locator('main li.watch-item .tag-unread').count(), 0);
  });

  await step('« Favoris » lists the favourites of the field, and « Mes favoris » those of every field', async () => {
    await page.getByRole('button', { name: 'Favoris (1)' }).click();
    const items = page.locator('main li.watch-item');
    // The list is busy until the favourites are drawn (the previous tab's items until then).
    await page.locator('main [aria-busy="true"]').waitFor({ state: 'detached' });
    await items.filter({ hasText: 'Décret relatif aux missions des CPTS' }).waitFor();
    assert.equal(await items.count(), 1);
    await assertAxeClean(page, 'the favourites of a field');
    await page.getByRole('button', { name: /^À qualifier \(2\)/ }).click();
    await items.nth(1).waitFor();
    await page.getByRole('link', { name: '← Tous les champs de veille' }).click();
    await waitForPath(page, '/veille');
    const mine = page.getByRole('region', { name: 'Mes favoris' });
    await mine.getByRole('link', { name: /Décret relatif aux missions des CPTS/ }).waitFor();
    await mine.getByRole('link', { name: 'Réglementation', exact: true }).click();
    await waitForPath(page, `/veille/champs/${reg.id}`);
    await heading(page, /^Réglementation$/);
  });

  let other = null;
  await step('a member who does not own the field reads it, without the qualification form', async () => {
    other = await (await browser.newContext({ locale: 'fr-FR', viewport: { width: 1366, height: 900 } })).newPage();
    other.setDefaultTimeout(STEP_TIMEOUT_MS);
    await watchPage(other, problems, { who: 'other', allow: (text, where) => isExpected401(text, where, ['/api/me']) });
    await signIn(other, base, OTHER);
    await other.goto(`${base}/veille/champs/${reg.id}`);
    await heading(other, /^Réglementation$/);
    await other.locator('main li.watch-item').first().waitFor();
    await other.getByRole('button', { name: /^Retenus \(0\)/ }).waitFor();
    assert.equal(await other.getByRole('button', { name: /^Retenir/ }).count(), 0);
    assert.equal(await other.locator('main summary').filter({ hasText: 'Qualifier' }).count(), 0);
    assert.equal(await other.getByRole('button', { name: 'Ajouter la source' }).count(), 0);
    // Nor the source's tools; the owner (a member) may remove it, only animateurs refresh it.
    assert.equal(await other.locator('.watch-source button').count(), 0);
    await page.locator('.watch-source').getByRole('button', { name: /^Retirer/ }).waitFor();
    assert.equal(await page.locator('.watch-source').getByRole('button', { name: /^Actualiser/ }).count(), 0);
  });

  await step('the owner retains one with what to remember; it is under « Retenus »', async () => {
    const decree = page.locator('main li.watch-item').filter({ hasText: 'Décret relatif aux missions des CPTS' });
    await decree.locator('summary').filter({ hasText: 'Qualifier' }).click();
    await decree.getByLabel('Ce qu’il faut retenir').fill('Les missions socles sont précisées : à relayer aux CPTS.');
    await decree.getByLabel('Importance').selectOption('3');
    await assertAxeClean(page, 'an item with its qualification form open');
    await decree.getByRole('button', { name: /^Retenir/ }).click();
    await page.getByText('« Décret relatif aux missions des CPTS » est retenu.').waitFor();
    await page.getByRole('button', { name: /^À qualifier \(1\)/ }).waitFor();
    await page.getByRole('button', { name: /^Retenus \(1\)/ }).click();
    const kept = page.locator('main li.watch-item');
    await kept.filter({ hasText: 'Les missions socles sont précisées : à relayer aux CPTS.' }).waitFor();
    assert.equal(await kept.count(), 1);
  });

  await step('the other member’s open page hears it live, without reloading; they comment', async () => {
    await other.getByRole('button', { name: /^Retenus \(1\)/ }).waitFor();
    await other.getByRole('button', { name: /^À qualifier \(1\)/ }).waitFor();
    await other.getByRole('button', { name: /^Retenus \(1\)/ }).click();
    const kept = other.locator('main li.watch-item').first();
    await kept.locator('summary').filter({ hasText: 'Commentaires (0)' }).click();
    await kept.getByLabel('Votre commentaire').fill('À relayer à la CPTS du Ternois.');
    await kept.getByRole('button', { name: 'Commenter' }).click();
    await kept.locator('summary').filter({ hasText: 'Commentaires (1)' }).waitFor();
    await kept.getByText('À relayer à la CPTS du Ternois.', { exact: true }).waitFor();
    await assertAxeClean(other, 'a retained item with its comments open');
    // A comment being typed is not lost by a click in the navigation: leaving asks first.
    await kept.getByLabel('Votre commentaire').fill('Un second commentaire en cours');
    await other.getByRole('link', { name: 'Bibliothèque', exact: true }).first().click();
    const leave = other.getByRole('dialog', { name: 'Quitter sans enregistrer ?' });
    await leave.waitFor();
    await leave.getByRole('button', { name: 'Annuler' }).click();
    assert.equal(await kept.getByLabel('Votre commentaire').inputValue(), 'Un second commentaire en cours');
    // A reload keeps it (the box open where it was written), as it keeps a signalled link.
    const post = other.getByRole('form', { name: 'Signaler un lien ou une note' });
    await post.getByLabel('Titre (lu sur la page s’il est vide)').fill('Compte rendu de la réunion ARS');
    other.once('dialog', (d) => d.accept()); // the browser's own prompt before a reload
    await other.reload();
    await heading(other, /^Réglementation$/);
    await other.getByRole('button', { name: /^Retenus \(1\)/ }).click();
    const again = other.locator('main li.watch-item').first();
    await again.getByText('À relayer à la CPTS du Ternois.', { exact: true }).waitFor();
    assert.equal(await again.getByLabel('Votre commentaire').inputValue(), 'Un second commentaire en cours');
    assert.equal(await other.getByRole('form', { name: 'Signaler un lien ou une note' })
      .getByLabel('Titre (lu sur la page s’il est vide)').inputValue(), 'Compte rendu de la réunion ARS');
    await again.getByLabel('Votre commentaire').fill('');
    await other.getByRole('form', { name: 'Signaler un lien ou une note' }).getByLabel('Titre (lu sur la page s’il est vide)').fill('');
  });

  await step('« Signaler un lien ou une note » says precisely what is missing or wrong, on the address', async () => {
    const post = other.getByRole('form', { name: 'Signaler un lien ou une note' });
    const address = post.getByLabel('Adresse de la page (facultatif pour une note)');
    const titleBox = post.getByLabel('Titre (lu sur la page s’il est vide)');
    await post.getByRole('button', { name: 'Ajouter à la liste à qualifier' }).click();
    await post.getByRole('alert').filter({ hasText: 'Indiquez l’adresse d’une page, ou un titre pour une note.' }).waitFor();
    assert.equal(await address.getAttribute('aria-invalid'), 'true');
    assert.equal(await titleBox.getAttribute('aria-invalid'), null, 'the title is not blamed');
    assert.equal(await address.evaluate((el) => el === document.activeElement), true);
    await address.fill('pas une url');
    await post.getByRole('button', { name: 'Ajouter à la liste à qualifier' }).click();
    await post.getByRole('alert').filter({ hasText: /^L’adresse doit être celle d’une page web et commencer par http:\/\/ ou https:\/\//u }).waitFor();
    assert.equal(await post.locator('.field-error').count(), 1);
    await assertAxeClean(other, 'the signal form with an invalid address');
    await address.fill('');
  });

  await step('on a phone, the field page does not scroll sideways; the coverage no longer flags an owner', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(page);
    await page.getByRole('link', { name: '← Tous les champs de veille' }).click();
    await waitForPath(page, '/veille');
    const table = page.getByRole('table', { name: 'Couverture des champs de veille' });
    const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Réglementation' }) });
    await row.getByText('Rien à signaler').waitFor();
    await assertNoOverflow(page);
  });

  await step('the owner subscribes to the weekly letter; an administrator previews and sends one; it arrives', async () => {
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.getByLabel('Fréquence').selectOption('weekly');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Vous recevrez la lettre de veille chaque semaine.').waitFor();
    // The status region is far above: the message is also shown beside the button, in view.
    const echo = page.locator('.status-echo');
    await echo.waitFor();
    assert.equal(await echo.getAttribute('data-message'), 'Vous recevrez la lettre de veille chaque semaine.');
    assert.equal(await echo.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight && Boolean(el.closest('form'));
    }), true, 'the confirmation is in view, in the subscription form');
    await assertAxeClean(page, 'the watch page with a confirmation beside the subscription');
    const admin = await adminOnWatch();
    await admin.getByLabel('Titre (facultatif)').fill('Lettre de veille de décembre');
    await admin.getByLabel('Introduction').fill('Bonjour à toutes et à tous.');
    await admin.getByRole('button', { name: 'Aperçu' }).click();
    await admin.getByText('1 élément retenu sur la période.').waitFor();
    await admin.locator('.watch-digest-preview').getByText('Les missions socles sont précisées : à relayer aux CPTS.').waitFor();
    await assertAxeClean(admin, 'the digest composer with its preview');
    await admin.getByRole('button', { name: 'Envoyer aux abonnés' }).click();
    await admin.getByText('Lettre envoyée à 1 abonné et archivée dans la bibliothèque.').waitFor();
    // « Lettres envoyées » shows it at once, without a reload.
    await admin.locator('.watch-digests summary', { hasText: 'Lettre de veille de décembre' }).waitFor();
    assert.equal(await admin.getByText('Aucune lettre pour l’instant', { exact: false }).count(), 0);
    let letter = null;
    for (let i = 0; i < 100 && !letter; i += 1) {
      letter = smtp.messages.map(unquote).find((m) => m.includes('desabonnement?jeton='));
      if (!letter) await admin.waitForTimeout(100);
    }
    assert.ok(letter, 'the letter reached the SMTP server');
    assert.match(letter, /Les missions socles sont précisées : à relayer aux CPTS\./);
    assert.match(letter, /To: .*vera@test\.fr/);
    // Its one-click link, without a session.
    const link = /\/veille\/desabonnement\?jeton=[A-Za-z0-9_-]+/.exec(letter)[0];
    const anonymous = await (await browser.newContext({ locale: 'fr-FR' })).newPage();
    await anonymous.goto(`${base}${link}`);
    await anonymous.getByText('C’est fait : vous ne recevrez plus la lettre de veille.').waitFor();
    // Signed out: signing in leads back to the watch, where letters are chosen.
    assert.equal(await anonymous.getByRole('link', { name: 'Se connecter pour gérer ses lettres de veille' }).getAttribute('href'),
      '/connexion?retour=%2Fveille');
    await assertAxeClean(anonymous, 'the unsubscribe page');
  });

  await step('an administrator creates a field and names its owner from the pages, then reopens the letter sent', async () => {
    const admin = await adminOnWatch();
    await admin.getByText('Créer un champ de veille', { exact: true }).click();
    await admin.getByLabel('Nom du champ').fill('Veille hospitalière');
    await admin.getByRole('button', { name: 'Créer le champ' }).click();
    await admin.waitForURL(/\/veille\/champs\/\d+$/);
    await heading(admin, /^Veille hospitalière$/);
    await admin.locator('main p.hint', { hasText: 'Aucun responsable désigné.' }).waitFor();
    await admin.getByText('Désigner les responsables', { exact: true }).click();
    await admin.getByLabel('Personne ou organisation').selectOption(`u:${owner.id}`);
    await admin.getByRole('button', { name: 'Ajouter ce responsable' }).click();
    await assertAxeClean(admin, 'a new field with its owners being named');
    // Not saved yet: leaving asks first.
    await admin.getByRole('link', { name: '← Tous les champs de veille' }).click();
    const leave = admin.getByRole('dialog', { name: 'Quitter sans enregistrer ?' });
    await leave.waitFor();
    await leave.getByRole('button', { name: 'Annuler' }).click();
    await heading(admin, /^Veille hospitalière$/);
    await admin.getByRole('button', { name: 'Enregistrer les responsables' }).click();
    await admin.getByText(`Responsables : ${owner.name}.`).waitFor();
    // The letter sent above, opened from the archive.
    await admin.goto(`${base}/veille`);
    await admin.locator('.watch-digests summary', { hasText: 'Lettre de veille de décembre' }).click();
    await admin.locator('.watch-digests').getByText('Les missions socles sont précisées : à relayer aux CPTS.').waitFor();
  });

  await step('an administrator asks for a source to be read now, then removes it after confirming', async () => {
    const admin = await adminOnWatch();
    await admin.goto(`${base}/veille/champs/${reg.id}`);
    await heading(admin, /^Réglementation$/);
    const source = admin.locator('.watch-source').filter({ hasText: 'Actualités réglementaires' });
    await source.getByRole('button', { name: 'Actualiser : Actualités réglementaires' }).click();
    await admin.getByText('Actualisation demandée : « Actualités réglementaires » sera relue dans quelques secondes.').waitFor();
    await source.locator('.status-echo').waitFor();
    await source.getByRole('button', { name: 'Retirer : Actualités réglementaires' }).click();
    const confirm = admin.getByRole('dialog', { name: 'Retirer cette source ?' });
    // The next action clears what the last one said: no old message beside a new one.
    await confirm.waitFor();
    assert.equal(await admin.locator('#statut').textContent(), '');
    assert.equal(await admin.locator('.status-echo').count(), 0);
    await confirm.getByText('« Actualités réglementaires » ne sera plus lue pour ce champ. Les éléments déjà importés restent.').waitFor();
    await assertAxeClean(admin, 'the confirmation to remove a source');
    await confirm.getByRole('button', { name: 'Annuler' }).click();
    assert.equal(await source.count(), 1);
    await source.getByRole('button', { name: 'Retirer : Actualités réglementaires' }).click();
    await confirm.getByRole('button', { name: 'Retirer la source' }).click();
    await admin.getByText('Source « Actualités réglementaires » retirée.').waitFor();
    await source.waitFor({ state: 'detached' });
    assert.equal((await (await admin.request.get(`${base}/api/watch/fields/${reg.id}`)).json()).field.sources.length, 0);
    // Its items stay.
    await admin.getByRole('button', { name: /^Retenus \(1\)/ }).waitFor();
    await admin.setViewportSize({ width: 390, height: 844 });
    await assertNoOverflow(admin);
  });

  await step('no console error nor CSP violation on any page', async () => {
    assertNoProblems(problems);
  });

  smtp.server.close();
  feeds.closeAllConnections();
  await new Promise((resolve) => feeds.close(resolve));
}

runTest({ name: 'watch.mjs', timeoutMs: RUN_TIMEOUT_MS, run });
