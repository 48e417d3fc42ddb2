// Application shell: session bootstrap, layout (header, navigation with the
// notification bell, status region), the shared vocabulary (meta.js, loaded before
// the first page) and the history-API router. Pages live in pages/, one module each,
// and are listed in routes.js.

import { api, onUnauthorized } from './api.js';
import { bellItem, startBell, stopBell } from './bell.js';
import { refreshReviewCount, reviewItem, startReviewCount } from './review-count.js';
import * as socket from './socket.js';
import { confirmDialog } from './dialog.js';
import { h, uid } from './dom.js';
import { lang, t } from './i18n.js';
import { releaseLeaving, unsavedChanges } from './leave-guard.js';
import { labels, loadMeta, metaLoaded } from './meta.js';
import { messagePage } from './pages/message.js';
import { allowed, matchRoute, notFoundRoute, routes } from './routes.js';

const state = {
  user: null,
  // A workshop guest (invite cookie), known once the invitation or the live board greets
  // it; remembered in this browser (GUEST_KEY) and checked again at the next visit.
  guest: null,
  navToken: 0,
  pageController: null,
  renderedUrl: null,
  checkingSession: false,
};

const els = {
  main: document.getElementById('contenu'),
  page: document.getElementById('page'),
  status: document.getElementById('statut'),
  nav: document.getElementById('navigation'),
  session: document.getElementById('session'),
  userName: document.getElementById('nom-utilisateur'),
  logout: document.getElementById('deconnexion'),
};

// ---------------------------------------------------------------- layout

function applyShellTexts() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of document.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
}

function navList(items, labelledBy) {
  return h('ul', { class: 'nav-list', 'aria-labelledby': labelledBy || null },
    items.map((route) => h('li', {},
      h('a', { class: 'nav-link', href: route.path, text: t(route.nav) }))));
}

function buildNav() {
  const { nav } = els;
  nav.replaceChildren();
  if (!state.user) {
    nav.hidden = true;
    return;
  }
  const visible = routes.filter((r) => r.nav && allowed(r, state.user.role));
  const main = visible.filter((r) => (r.group || 'main') === 'main');
  const admin = visible.filter((r) => r.group === 'admin');
  const mainList = navList(main);
  // « À relire » right after the library, for reviewers.
  const library = [...mainList.children].find((li) => li.querySelector('a')?.getAttribute('href') === '/bibliotheque');
  if (library) library.after(reviewItem());
  mainList.append(bellItem());
  // On a phone the menu folds behind a « Menu » button (the bell stays in sight); on a
  // wider screen the button is not shown and nothing folds.
  const toggle = h('button', {
    type: 'button', class: 'nav-toggle', 'aria-expanded': 'false', 'aria-controls': 'navigation',
    onclick: () => setMenuOpen(nav.hasAttribute('data-folded')),
  }, h('span', { class: 'nav-toggle-icon', 'aria-hidden': 'true' }), t('layout.menu'));
  nav.setAttribute('data-folded', '');
  const inner = h('div', { class: 'container nav-inner' }, toggle, mainList);
  if (admin.length) {
    const labelId = uid('nav-admin');
    inner.append(h('div', { class: 'nav-group' },
      h('span', { class: 'nav-group-label', id: labelId, text: t('layout.adminGroup') }),
      navList(admin, labelId)));
  }
  nav.append(inner);
  nav.hidden = false;
  markCurrentLink();
}

function setMenuOpen(open) {
  const { nav } = els;
  if (open) nav.removeAttribute('data-folded');
  else nav.setAttribute('data-folded', '');
  nav.querySelector('.nav-toggle')?.setAttribute('aria-expanded', String(open));
}

// A link followed folds the menu again; Escape folds it and gives the focus back to
// the button.
els.nav.addEventListener('click', (e) => {
  if (e.target.closest('a')) setMenuOpen(false);
});
els.nav.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !els.nav.hasAttribute('data-folded')) {
    setMenuOpen(false);
    const toggle = els.nav.querySelector('.nav-toggle');
    if (toggle && getComputedStyle(toggle).display !== 'none') toggle.focus();
  }
});

function markCurrentLink() {
  refreshReviewCount();
  const path = location.pathname;
  for (const link of els.nav.querySelectorAll('a')) {
    const target = link.getAttribute('href');
    const current = target === path || (target !== '/' && path.startsWith(`${target}/`));
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

// The header shows the signed-in account, or else the guest, with the matching
// way out. Guests get no navigation: they only reach their workshop.
function showSession() {
  const who = state.user || state.guest;
  els.session.hidden = !who;
  els.userName.textContent = who ? who.name : '';
  els.logout.textContent = t(state.user || !state.guest ? 'layout.logout' : 'layout.guestLeave');
}

function setUser(user) {
  state.user = user || null;
  if (state.user) startBell(state.user);
  else stopBell();
  startReviewCount(state.user);
  showSession();
  buildNav();
}

// Who this browser's guest is (its workshop): the cookie is HttpOnly, and no route says
// it, so the shell keeps it to greet the guest on « / » at the next visit.
const GUEST_KEY = 'relais.guest';

function setGuest(guest) {
  state.guest = guest || null;
  try {
    if (state.guest) localStorage.setItem(GUEST_KEY, JSON.stringify(state.guest));
    else localStorage.removeItem(GUEST_KEY);
  } catch { /* not kept: the guest is known again on the board */ }
  showSession();
}

/** At the start of a visit without an account: the guest this browser was, if its
 * invite cookie still opens its workshop (else forgotten). */
async function restoreGuest() {
  let guest = null;
  try { guest = JSON.parse(localStorage.getItem(GUEST_KEY) || 'null'); } catch { /* none */ }
  if (!guest || !guest.workshop_id) return;
  try {
    await api.get(`/api/workshops/${encodeURIComponent(guest.workshop_id)}`, { quiet401: true });
    setGuest(guest);
  } catch (err) {
    // Signed out, revoked, archived (401, 404): no longer a guest. Else unknown: kept.
    if (err.status === 401 || err.status === 403 || err.status === 404) setGuest(null);
  }
}

/**
 * Shows a status message in the polite live region at the top of <main>.
 * kind: "success" | "info" | "error". An empty message clears the region.
 *
 * That region is far above the button pressed on a long page: when it is out of view, the
 * message is also shown beside the control that caused it (the button last pressed, or the
 * form last sent, a moment ago), else at the bottom of the window. That copy is hidden from
 * assistive technology (the live region speaks already). The next action in the page
 * (a button pressed, a form sent) clears both: no message is left beside a newer one.
 */
const ECHO_ACTOR_MS = 15_000;
let lastActor = null;
let lastActorAt = 0;
let echo = null;

function clearEcho() {
  if (echo) echo.remove();
  echo = null;
}

function inView(el) {
  const r = el.getBoundingClientRect();
  return r.height > 0 && r.bottom > 0 && r.top < window.innerHeight;
}

/** Where a copy of the message goes beside `actor`: [element, 'after' | 'append']. */
function echoSpot(actor) {
  const form = actor.closest('form');
  if (form) {
    const row = actor.closest('.form-actions');
    return row && form.contains(row) ? [row, 'after'] : [form, 'append'];
  }
  const row = actor.closest('.form-actions, .row-actions, .page-actions');
  if (row) return [row, 'after'];
  const cell = actor.closest('li, td, th, dd');
  if (cell) return [cell, 'append'];
  return [actor, 'after'];
}

// The copy's words are drawn by CSS (`data-message`): the text lives once in the page, in
// the live region, for assistive technology and for searches in the page.
function echoElement(message, kind, className) {
  return h('p', { class: `status status-${kind} ${className}`, 'aria-hidden': 'true', 'data-message': message });
}

function announce(message, kind = 'success', { echoed = true } = {}) {
  els.status.className = `status status-${kind}`;
  els.status.textContent = message || '';
  clearEcho();
  if (!message || !echoed || inView(els.status)) return;
  const recent = Date.now() - lastActorAt < ECHO_ACTOR_MS;
  let actor = recent && lastActor && lastActor.isConnected && els.page.contains(lastActor) ? lastActor : null;
  // The control pressed was drawn again: the one that holds the focus now, if in the page.
  const focused = document.activeElement;
  if (!actor && recent && focused && focused !== els.page && els.page.contains(focused)) actor = focused;
  if (actor) {
    echo = echoElement(message, kind, 'status-echo');
    const [spot, how] = echoSpot(actor);
    if (how === 'append') spot.append(echo);
    else spot.after(echo);
  } else if (kind !== 'info') {
    // Nothing to stand beside: at the bottom of the window until the next action (or a
    // click on it). Not for news (« de nouveaux éléments… »), which the page shows itself.
    echo = echoElement(message, kind, 'status-echo status-echo-floating');
    echo.addEventListener('click', clearEcho);
    document.body.append(echo);
  }
}

// The next action clears what the last one said (captured before the page's own handlers,
// which may announce at once).
function onPageAction(event) {
  const target = event.target instanceof Element ? event.target : null;
  if (!target || !els.page.contains(target)) return;
  if (event.type === 'submit') {
    lastActor = event.submitter || target;
  } else {
    const control = target.closest('button, summary, input[type="checkbox"], input[type="radio"], [role="button"]');
    if (!control) return;
    lastActor = control;
  }
  lastActorAt = Date.now();
  if (els.status.textContent || echo) announce('');
}

// ---------------------------------------------------------------- router

/** Goes to `url` (same origin). Options: replace (history entry), focus (move focus
 * to the new h1), flash: status message shown once the page is rendered. */
function navigate(url, { replace = false, focus = true, flash = '', flashKind = 'info' } = {}) {
  const target = new URL(url, location.href);
  // The fragment is kept: the page opens at that element (a glossary entry).
  const next = target.pathname + target.search + target.hash;
  if (replace || next === location.pathname + location.search + location.hash) {
    history.replaceState(null, '', next);
  } else {
    history.pushState(null, '', next);
  }
  return render({ focus, flash, flashKind });
}

function loginUrlFor(pathname, search) {
  const asked = pathname + search;
  return asked === '/' ? '/connexion' : `/connexion?retour=${encodeURIComponent(asked)}`;
}

function focusHeading() {
  const heading = els.page.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  } else {
    els.main.focus();
  }
}

async function render({ focus = true, flash = '', flashKind = 'info' } = {}) {
  state.navToken += 1;
  const token = state.navToken;
  if (state.pageController) state.pageController.abort();
  const controller = new AbortController();
  state.pageController = controller;

  const { pathname, search } = location;
  if (pathname.length > 1 && pathname.endsWith('/')) {
    return navigate(pathname.replace(/\/+$/, '') + search, { replace: true, focus, flash, flashKind });
  }

  const match = matchRoute(pathname);
  if (match && match.route.redirect) {
    return navigate(match.route.redirect(match.params) + search, { replace: true, focus, flash, flashKind });
  }
  const route = match ? match.route : notFoundRoute;
  // A `guests` route renders without an account: the page itself checks access (a
  // guest's invite cookie, or else it asks to sign in through ctx.requireLogin).
  // A guest's home page is its workshop (pages/accueil.js); any other page asks to sign in.
  if (!route.public && !route.guests && !state.user && !(state.guest && pathname === '/')) {
    return navigate(loginUrlFor(pathname, search), { replace: true, focus, flash, flashKind });
  }
  if (route.guestOnly && state.user) {
    return navigate('/', { replace: true, focus, flash, flashKind });
  }

  // The vocabulary failed to load at start (labels would show codes): try again.
  if (!metaLoaded()) await loadMeta().catch(() => {});
  if (token !== state.navToken) return undefined;

  state.renderedUrl = pathname + search;
  markCurrentLink();
  announce('');
  els.main.setAttribute('aria-busy', 'true');

  const ctx = {
    user: state.user,
    guest: state.guest,
    params: match ? match.params : {},
    query: new URLSearchParams(search),
    signal: controller.signal,
    navigate,
    announce,
    setUser,
    setGuest,
    refreshUser,
    requireLogin: () => navigate(loginUrlFor(pathname, search), { replace: true }),
  };

  let node;
  let title;
  try {
    if (state.user && !allowed(route, state.user.role)) {
      node = messagePage({
        title: t('errors.forbiddenTitle'), text: t(route.forbidden || 'errors.forbiddenText'),
      });
      title = t('errors.forbiddenTitle');
    } else {
      const page = await route.load();
      node = await page.render(ctx);
      title = typeof page.title === 'function' ? page.title(ctx) : t(page.title);
    }
  } catch (err) {
    if (token !== state.navToken || (err && err.name === 'AbortError')) return undefined;
    if (err && err.status === 401 && state.user) return undefined; // session check takes over
    if (err && err.status === 403) {
      // Not for this person: trying again will not help.
      node = messagePage({ title: t('errors.forbiddenTitle'), text: err.message || t('errors.forbiddenText') });
      title = t('errors.forbiddenTitle');
    } else if (err && err.status === 404) {
      // What the page shows does not exist (any more): trying again will not help; its
      // section's list is where to go on.
      const section = `/${pathname.split('/')[1] || ''}`;
      // The server's generic « introuvable » said in the section's words (a fiche, a
      // workshop…); a specific refusal (an invitation that ended) as the server says it.
      const sectionText = `errors.notFoundIn.${section.slice(1)}`;
      const generic = !err.code || err.code === 'introuvable';
      node = messagePage({
        title: t('errors.notFoundTitle'),
        text: generic && t(sectionText) !== sectionText ? t(sectionText) : (err.message || t('errors.notFoundText')),
        back: section !== '/' && section !== pathname ? { href: section, label: t('errors.backToSection') } : null,
      });
      title = t('errors.notFoundTitle');
    } else {
      node = messagePage({
        title: t('errors.loadFailed'),
        text: err && err.message ? err.message : t('errors.network'),
        retry: () => navigate(location.pathname + location.search, { replace: true }),
      });
      title = t('errors.loadFailed');
    }
  }
  if (token !== state.navToken) return undefined;

  els.page.replaceChildren(node);
  els.main.removeAttribute('aria-busy');
  document.title = `${title} — ${t('layout.titleSuffix')}`;
  // A new page: the message is at its top, in view.
  if (flash) announce(flash, flashKind, { echoed: false });
  // Opened at an element (#sigle-CPTS): it is shown and focused, else the page's title.
  let anchor = null;
  try {
    anchor = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  } catch { /* a malformed fragment: the title */ }
  if (anchor && els.page.contains(anchor)) {
    anchor.setAttribute('tabindex', '-1');
    anchor.scrollIntoView();
    anchor.focus({ preventScroll: true });
  } else if (focus) {
    focusHeading();
  }
  return undefined;
}

// ---------------------------------------------------------------- session

async function refreshUser() {
  const data = await api.get('/api/me');
  setUser(data.user);
  return data.user;
}

// A 401 outside of signing in: check whether the session really ended (a 401 may
// also mean "wrong current password") and, if so, ask to sign in again.
onUnauthorized(async () => {
  if (!state.user || state.checkingSession) return;
  state.checkingSession = true;
  try {
    await api.get('/api/me', { quiet401: true });
  } catch (err) {
    if (err.status === 401) {
      setUser(null);
      navigate(loginUrlFor(location.pathname, location.search),
        { replace: true, flash: t('errors.sessionExpired'), flashKind: 'info' });
    }
  } finally {
    state.checkingSession = false;
  }
});

// The server closes an account's sockets when its access changes (role, organisation,
// deactivation, password): read the account again. Another role rebuilds the menu, says
// so, and shows the page again under the new rights (« Accès réservé » if it is no
// longer theirs); a session that ended goes through the 401 above.
async function recheckAccount() {
  const before = state.user;
  if (!before || state.checkingSession) return;
  let now;
  try {
    now = (await api.get('/api/me')).user;
  } catch {
    return; // offline, or signed out (handled by the 401 handler)
  }
  if (!state.user || state.user.id !== before.id) return;
  const moved = (now.org && now.org.id) !== (before.org && before.org.id);
  if (now.role === before.role && !moved) {
    if (now.name !== before.name) setUser(now);
    return;
  }
  setUser(now);
  // The page is shown again only when it is no longer theirs (what is typed elsewhere
  // stays where it is).
  const match = matchRoute(location.pathname);
  if (match && match.route.roles && !allowed(match.route, now.role)) await render({ focus: false });
  announce(now.role !== before.role
    ? t('layout.roleChanged', { role: labels.role(now.role) })
    : t('layout.orgChanged'), 'info');
}
let reconnected = false;
socket.watch({
  failing: recheckAccount,
  // A change made while the socket was away (reconnecting) closed nothing: read the
  // account again at each reconnection too (not at the first connection).
  heard: () => {
    if (reconnected) recheckAccount();
    reconnected = true;
  },
});

async function leaveAsGuest() {
  // Coming back makes a new person, who may no longer change what this one wrote: asked
  // first, with what would be lost.
  const unsent = unsavedChanges();
  const ok = await confirmDialog({
    title: t('layout.guestLeaveTitle'),
    text: [t('layout.guestLeaveText'), unsent ? t('layout.guestLeaveUnsent') : ''].filter(Boolean).join(' '),
    confirmLabel: t('layout.guestLeave'), danger: true,
  });
  if (!ok) return;
  if (unsent) releaseLeaving();
  try {
    await api.del('/api/invites/session', { quiet401: true });
  } catch (err) {
    if (err.status !== 401) {
      announce(err.message, 'error');
      return;
    }
  }
  setGuest(null);
  navigate('/connexion', { flash: t('layout.guestLeft'), flashKind: 'info' });
}

async function logout() {
  if (!state.user && state.guest) {
    leaveAsGuest();
    return;
  }
  // Close the live socket first: signing out closes it on the server's side, and it
  // must not try to reconnect in between.
  stopBell();
  try {
    await api.del('/api/session', { quiet401: true });
  } catch (err) {
    if (err.status !== 401) {
      if (state.user) startBell(state.user);
      announce(err.message, 'error');
      return;
    }
  }
  setUser(null);
  navigate('/connexion', { flash: t('login.loggedOut'), flashKind: 'info' });
}

// ---------------------------------------------------------------- events

function onDocumentClick(event) {
  if (event.defaultPrevented || event.button !== 0
    || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (!link || (link.target && link.target !== '_self') || link.hasAttribute('download')) return;

  const href = link.getAttribute('href');
  if (href.startsWith('#')) {
    // The skip link: move focus to <main> without touching the URL or the router.
    if (href === `#${els.main.id}`) {
      event.preventDefault();
      els.main.focus();
    }
    return;
  }
  const url = new URL(link.href);
  if (url.origin !== location.origin || !matchRoute(url.pathname)) return;
  // An anchor of the page shown: the browser goes there (no new render).
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
  event.preventDefault();
  leaveThen(() => navigate(url.pathname + url.search + url.hash));
}

/** Runs `go` at once, or after the person agreed to leave unsaved changes behind. */
async function leaveThen(go) {
  if (unsavedChanges()) {
    const ok = await confirmDialog({
      title: t('leave.title'), text: t('leave.text'), confirmLabel: t('leave.confirm'), danger: true,
    });
    if (!ok) return;
    releaseLeaving();
  }
  go();
}

function onPopState() {
  // A change of fragment only (same path and query) is not a new page.
  if (location.pathname + location.search === state.renderedUrl) return;
  if (unsavedChanges()) {
    // Back or forward cannot be held: stay on the page (its URL back), then ask.
    const wanted = location.pathname + location.search;
    history.pushState(null, '', state.renderedUrl);
    leaveThen(() => navigate(wanted));
    return;
  }
  render({ focus: true });
}

async function start() {
  applyShellTexts();
  document.addEventListener('click', onDocumentClick);
  document.addEventListener('click', onPageAction, true);
  document.addEventListener('submit', onPageAction, true);
  window.addEventListener('popstate', onPopState);
  els.logout.addEventListener('click', logout);

  // The vocabulary loads alongside the session check; a failure is retried before
  // the next page (meanwhile codes stand for their labels).
  const meta = loadMeta().catch(() => {});
  try {
    const data = await api.get('/api/me', { quiet401: true });
    setUser(data.user);
  } catch (err) {
    if (err.status !== 401) {
      els.page.replaceChildren(messagePage({
        title: t('errors.loadFailed'),
        text: err.message,
        retry: () => location.reload(),
      }));
      document.title = `${t('errors.loadFailed')} — ${t('layout.titleSuffix')}`;
      return;
    }
    setUser(null);
    await restoreGuest();
  }
  await meta;
  // First page of the visit: focus stays at the top of the document.
  await render({ focus: false });
}

start();
