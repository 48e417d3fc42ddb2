// The notices of the signed-in person (/notifications), newest first: title, text,
// when (in Paris time), a link to what they are about, and read or unread. Following
// a notice's link marks it read; so do its own button and « Tout marquer comme lu ».
// « Voir plus » loads the older ones (50 at a time, `before` the oldest shown).
// Notices arriving while the page is open (the bell's count rises) appear at the top;
// notices read in another tab turn read here too.

import { api } from '../api.js';
import { onUnread, setUnread } from '../bell.js';
import { h, srOnly, uid } from '../dom.js';
import { t } from '../i18n.js';
import { describeDate, isoDate } from '../time.js';

export const title = 'notices.title';

const PAGE_SIZE = 50; // the server's page
const CLOCK_EVERY_MS = 60_000; // "il y a 5 minutes" moves on

/** An application path to follow, or null (anything else is not a link to offer). */
function safeLink(link) {
  if (typeof link !== 'string' || !link.startsWith('/')) return null;
  if (link.startsWith('//') || link.startsWith('/\\') || /[\s\\]/.test(link)) return null;
  return link;
}

function normalise(n) {
  return {
    id: Number(n.id),
    kind: String(n.kind || ''),
    title: String(n.title || ''),
    body: String(n.body || ''),
    link: safeLink(n.link),
    created_at: n.created_at,
    read: Boolean(n.read),
  };
}

export async function render(ctx) {
  const { signal } = ctx;
  const first = await api.get('/api/notifications', { signal });
  setUnread(first.unread);

  const notices = (first.notifications || []).map(normalise); // newest first
  let unread = Number(first.unread) || 0;
  let hasMore = notices.length >= PAGE_SIZE;
  const items = new Map(); // id -> <li>

  const headingId = uid('titre');
  const listId = uid('liste');
  const summary = h('p', { class: 'notice-summary' });
  const markAll = h('button', {
    type: 'button', class: 'button button-secondary', text: t('notices.markAll'),
    onclick: () => markAllRead(),
  });
  const toolbar = h('div', { class: 'notice-toolbar' }, summary, markAll);
  const list = h('ol', { class: 'notice-list', id: listId, 'aria-label': t('notices.listLabel') });
  const more = h('button', {
    type: 'button', class: 'button button-secondary', text: t('notices.more'),
    'aria-controls': listId, onclick: () => loadMore(),
  });
  const footer = h('div', { class: 'notice-more' });
  const emptyId = uid('titre');
  const empty = h('section', { class: 'panel notice-empty', 'aria-labelledby': emptyId },
    h('h2', { id: emptyId, text: t('notices.emptyTitle') }),
    h('p', { text: t('notices.emptyText') }));

  // ------------------------------------------------------------ drawing
  function noticeItem(n) {
    const titleId = uid('avis');
    const heading = n.link
      ? h('a', {
        href: n.link, class: 'notice-link', 'data-focus': 'link',
        // Following the link reads the notice (any button: a new tab reads it too).
        onclick: () => markRead(n.id, { quiet: true }),
        onauxclick: (e) => { if (e.button === 1) markRead(n.id, { quiet: true }); },
      }, n.title)
      : n.title;
    return h('li', {
      class: n.read ? 'notice' : 'notice notice-unread', 'data-id': String(n.id),
      tabindex: '-1',
    },
    h('div', { class: 'notice-head' },
      n.read ? null : h('span', { class: 'tag tag-unread', text: t('notices.unread') }),
      h('h2', { class: 'notice-title', id: titleId }, heading)),
    n.body ? h('p', { class: 'notice-body', text: n.body }) : null,
    h('p', { class: 'notice-meta' },
      h('time', { datetime: isoDate(n.created_at), 'data-at': n.created_at || '', text: describeDate(n.created_at) })),
    n.read ? null : h('p', { class: 'notice-actions' },
      h('button', {
        type: 'button', class: 'button button-small button-secondary', 'data-focus': 'read',
        onclick: () => markRead(n.id),
      }, t('notices.markOne'), srOnly(`\u00A0: ${n.title}`))));
  }

  /** Draws one notice again in place, keeping the keyboard focus inside it. */
  function redrawNotice(n) {
    const old = items.get(n.id);
    const next = noticeItem(n);
    items.set(n.id, next);
    if (!old) return next;
    const active = document.activeElement;
    const inside = active && old.contains(active);
    const key = inside ? active.dataset.focus : null;
    old.replaceWith(next);
    if (inside) (next.querySelector(`[data-focus="${key}"]`) || next.querySelector('a') || next).focus();
    return next;
  }

  function drawSummary() {
    summary.textContent = unread === 0 ? t('notices.noneUnread')
      : t(unread === 1 ? 'bell.unreadOne' : 'bell.unreadMany', { n: unread });
    const none = unread === 0;
    markAll.setAttribute('aria-disabled', String(none));
  }

  function drawFooter() {
    const end = notices.length > PAGE_SIZE ? h('p', { class: 'hint', text: t('notices.allShown') }) : null;
    footer.replaceChildren(...[hasMore ? more : end].filter(Boolean));
  }

  function drawAll() {
    drawSummary();
    const isEmpty = notices.length === 0;
    toolbar.hidden = isEmpty;
    list.hidden = isEmpty;
    empty.hidden = !isEmpty;
    list.replaceChildren(...notices.map((n) => {
      const li = noticeItem(n);
      items.set(n.id, li);
      return li;
    }));
    drawFooter();
  }

  function setCount(n) {
    unread = Math.max(0, Number(n) || 0);
    drawSummary();
  }

  // ------------------------------------------------------------ reading
  async function markRead(id, { quiet = false } = {}) {
    const n = notices.find((x) => x.id === id);
    if (!n || n.read) return;
    n.read = true;
    if (!quiet) redrawNotice(n);
    try {
      // Not tied to the page's signal: following the link leaves the page.
      const data = await api.post('/api/notifications/read', { ids: [id] });
      setCount(data.unread);
      setUnread(data.unread);
      if (!quiet) ctx.announce(t('notices.markedOne', { title: n.title }), 'success');
    } catch (err) {
      n.read = false;
      if (!signal.aborted) {
        redrawNotice(n);
        ctx.announce(err.message, 'error');
      }
    }
  }

  async function markAllRead() {
    if (unread === 0) return;
    try {
      const data = await api.post('/api/notifications/read', { all: true }, { signal });
      for (const n of notices) {
        if (!n.read) {
          n.read = true;
          redrawNotice(n);
        }
      }
      setCount(data.unread);
      setUnread(data.unread);
      ctx.announce(t('notices.markAllDone'), 'success');
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
    }
  }

  async function loadMore() {
    if (!notices.length) return;
    more.setAttribute('aria-busy', 'true');
    const oldest = Math.min(...notices.map((n) => n.id));
    let data;
    try {
      data = await api.get(`/api/notifications?before=${oldest}`, { signal });
    } catch (err) {
      more.removeAttribute('aria-busy');
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return;
    }
    more.removeAttribute('aria-busy');
    const added = (data.notifications || []).map(normalise).filter((n) => !items.has(n.id));
    hasMore = (data.notifications || []).length >= PAGE_SIZE;
    for (const n of added) {
      notices.push(n);
      list.append(redrawNotice(n));
    }
    setCount(data.unread);
    setUnread(data.unread);
    drawFooter();
    if (added.length) {
      // The keyboard goes on from the first of the older notices.
      const firstNew = items.get(added[0].id);
      (firstNew.querySelector('a') || firstNew).focus();
      ctx.announce(added.length === 1 ? t('notices.moreLoadedOne') : t('notices.moreLoaded', { n: added.length }), 'info');
    } else {
      ctx.announce(t('notices.allShown'), 'info');
    }
  }

  // ------------------------------------------------------------ live
  // The count changed elsewhere (a new notice, or read in another tab): read the
  // newest page again and merge it.
  let syncing = null;
  async function syncNewest() {
    if (syncing) return;
    syncing = (async () => {
      let data;
      try {
        data = await api.get('/api/notifications', { signal });
      } catch {
        return;
      }
      const fresh = (data.notifications || []).map(normalise);
      const newest = notices.length ? Math.max(...notices.map((n) => n.id)) : 0;
      const arrived = fresh.filter((n) => n.id > newest && !items.has(n.id));
      for (const n of fresh) {
        const shown = notices.find((x) => x.id === n.id);
        if (shown && shown.read !== n.read) {
          shown.read = n.read;
          redrawNotice(shown);
        }
      }
      if (arrived.length) {
        const wasEmpty = notices.length === 0;
        notices.unshift(...arrived);
        if (wasEmpty) {
          hasMore = fresh.length >= PAGE_SIZE;
          drawAll();
        } else {
          list.prepend(...arrived.map((n) => redrawNotice(n)));
        }
        ctx.announce(t('notices.arrived'), 'info');
      }
      setCount(data.unread);
    })().finally(() => { syncing = null; });
  }

  const stopListening = onUnread((count, { live }) => {
    if (count !== unread || live) syncNewest();
  });

  // Relative dates move on while the page stays open.
  const clock = setInterval(() => {
    for (const el of list.querySelectorAll('time[data-at]')) {
      const text = describeDate(el.dataset.at);
      if (el.textContent !== text) el.textContent = text;
    }
  }, CLOCK_EVERY_MS);

  signal.addEventListener('abort', () => {
    stopListening();
    clearInterval(clock);
  }, { once: true });

  drawAll();

  return h('section', { class: 'page page-notifications', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('notices.title') }),
    h('p', { class: 'lead', text: t('notices.lead') }),
    toolbar,
    empty,
    list,
    footer);
}
