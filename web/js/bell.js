// The notification bell of the navigation, for signed-in accounts: a link to
// /notifications with the number of unread notices. The count is read from the API
// when the bell starts and after each reconnection, and pushed live by the server on
// the page's shared socket ({"type":"notifications","unread":N}, docs/api.md) when it
// changes: a new notice, or notices marked read in another tab.
//
// The shell starts the bell when someone signs in and stops it at sign-out; pages
// that show notices follow the count with `onUnread` and report what they learn with
// `setUnread`.

import { api } from './api.js';
import { h, svgIcon } from './dom.js';
import { t } from './i18n.js';
import * as socket from './socket.js';


let unread = 0;
let known = false; // the count was read at least once since the bell started
let session = null; // { userId, stops, release }
const listeners = new Set();

function bellIcon() {
  return svgIcon('bell-icon', 20, 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z');
}

// The link keeps its node across rebuilds of the navigation. Its accessible name is
// "Notifications", followed when some are unread by "(3 notifications non lues)"; the
// visible badge repeats the number for the eye only.
const badge = h('span', { class: 'bell-count', 'aria-hidden': 'true', hidden: true });
const countText = h('span', { class: 'visually-hidden' });
const link = h('a', { class: 'nav-link nav-bell', href: '/notifications' },
  bellIcon(), h('span', { class: 'bell-label' }, t('bell.label'), countText), badge);
// New notices are also said aloud (politely) when they arrive.
const announcer = h('span', { class: 'visually-hidden', role: 'status' });
const item = h('li', { class: 'nav-bell-item' }, link, announcer);

function draw() {
  const shown = unread > 99 ? '99+' : String(unread);
  badge.textContent = shown;
  badge.hidden = unread === 0;
  countText.textContent = unread === 0 ? ''
    : ` (${t(unread === 1 ? 'bell.unreadOne' : 'bell.unreadMany', { n: unread })})`;
  link.classList.toggle('has-unread', unread > 0);
}

/** The navigation's list item holding the bell. */
export function bellItem() {
  return item;
}

/** The unread count last known. */
export function unreadCount() {
  return unread;
}

/**
 * Records the unread count (from the server: an API answer or a pushed message).
 * `live`: it came pushed, so a rise is announced.
 */
export function setUnread(n, { live = false } = {}) {
  const next = Math.max(0, Number(n) || 0);
  const before = unread;
  const first = !known;
  known = true;
  if (next === before && !first) return;
  unread = next;
  draw();
  if (live && next > before) {
    announcer.textContent = t(next === 1 ? 'bell.arrivedOne' : 'bell.arrivedMany', { n: next });
  }
  for (const fn of [...listeners]) fn(unread, { before, live });
}

/** Calls fn(count, { before, live }) at each change of the count; returns the function that stops it. */
export function onUnread(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Reads the count from the API (a failure leaves the bell as it is). */
export async function refreshUnread() {
  if (!session) return;
  const current = session;
  try {
    const data = await api.get('/api/notifications?unread=1');
    if (session === current) setUnread(data.unread);
  } catch {
    // Offline, or the session ended (the shell handles a 401): keep the last count.
  }
}

/** Starts the bell for this account (again after a change of account); idempotent. */
export function startBell(user) {
  if (!user) {
    stopBell();
    return;
  }
  if (session && session.userId === user.id) return;
  stopBell();
  session = {
    userId: user.id,
    stops: [
      socket.on('notifications', (msg) => setUnread(msg.unread, { live: true })),
      // Once listening (and after each reconnection), read the count again: what
      // changed before the socket was there was not pushed to it.
      socket.onWelcome(() => refreshUnread()),
      // The socket keeps failing: the session may have ended; asking the API lets the
      // shell find out (a 401 there signs the page out).
      socket.watch({ failing: () => refreshUnread() }),
    ],
    release: socket.hold(),
  };
  refreshUnread();
}

/** Stops the bell (sign-out): closes the shared socket unless a page still holds it. */
export function stopBell() {
  if (!session) return;
  const { stops, release } = session;
  session = null;
  for (const stop of stops) stop();
  release();
  known = false;
  unread = 0;
  announcer.textContent = '';
  draw();
}

draw();
