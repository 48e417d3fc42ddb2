// For reviewers (animateurs, administrators): « À relire (n) » in the navigation, the
// number of library fiches waiting for review, linking to /bibliotheque/relecture. Read
// from the API when the navigation is drawn, after each page change (at most every few
// seconds) and whenever the notification count changes (a new submission notifies
// reviewers); hidden at zero.

import { api } from './api.js';
import { onUnread } from './bell.js';
import { h } from './dom.js';
import { t } from './i18n.js';

const REFRESH_MS = 5000;

const badge = h('span', { class: 'bell-count review-count', 'aria-hidden': 'true' });
const countText = h('span', { class: 'visually-hidden' });
const link = h('a', { class: 'nav-link nav-review', href: '/bibliotheque/relecture' },
  h('span', { text: t('nav.review') }), countText, badge);
const item = h('li', { class: 'nav-review-item', hidden: true }, link);

let active = false;
let last = 0;
let stop = null;

function draw(n) {
  item.hidden = !(n > 0);
  badge.textContent = n > 99 ? '99+' : String(n);
  countText.textContent = ` (${t(n === 1 ? 'nav.reviewOne' : 'nav.reviewMany', { n })})`;
}

/** The navigation's list item (shown to reviewers with something waiting). */
export function reviewItem() {
  return item;
}

/** Reads the count again (`force`: even if it was read a moment ago). */
export async function refreshReviewCount({ force = false } = {}) {
  if (!active || (!force && Date.now() - last < REFRESH_MS)) return;
  last = Date.now();
  try {
    const data = await api.get('/api/library/review');
    if (active) draw(Array.isArray(data.items) ? data.items.length : 0);
  } catch {
    // Offline or signed out: the shell deals with it; keep the last count.
  }
}

/** Starts for a reviewer, stops for anyone else (sign-out included). */
export function startReviewCount(user) {
  const reviewer = Boolean(user) && (user.role === 'animateur' || user.role === 'admin');
  if (reviewer === active) return;
  active = reviewer;
  stop?.();
  stop = null;
  if (!reviewer) {
    draw(0);
    return;
  }
  stop = onUnread(() => refreshReviewCount({ force: true }));
  refreshReviewCount({ force: true });
}
