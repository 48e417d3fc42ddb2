// One watch field (/veille/champs/:id): what it covers and who answers for it, its inbox
// (« À qualifier », « Retenus », « Écartés »), and its sources with their status. Curators
// (owners, backups, animateurs, administrators) retain or discard an item with « ce qu'il
// faut retenir », and add a source after testing it (« Tester la source » shows what would
// be imported, or why not), remove a source (animateurs and administrators also ask for
// it to be read again now); « Favoris » lists the person's favourites in this field. Item
// texts are shown as plain text: the feed's HTML, although sanitised by the server, is
// never inserted as markup.

import { api, ApiError } from '../api.js';
import * as socket from '../socket.js';
import { h, srOnly, uid } from '../dom.js';
import { confirmDialog } from '../dialog.js';
import { guardLeaving, guardTypedText } from '../leave-guard.js';
import { actions, createForm, inputField, keepDraft, selectField, textareaField } from '../forms.js';
import { formatNumber, t, tn } from '../i18n.js';
import { describeDate, isoDate } from '../time.js';

// The field's name once it is read (the tab and the history show it).
let pageTitle = '';
export const title = () => pageTitle || t('veille.title');

const STATES = ['new', 'kept', 'discarded'];
const FAVOURITES = 'favourites'; // the tab of the person's favourites, beside the states
const EXCERPT_CHARS = 400;
const OWN_ECHO_MS = 3000; // a live message this soon after the page's own change is its echo

/** Plain text of sanitised HTML, without ever putting it in the page. */
function textOf(html) {
  if (!html) return '';
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return (doc.body.textContent || '').replace(/\s+/g, ' ').trim();
}

function excerpt(item) {
  const text = textOf(item.summary_html) || textOf(item.content_html);
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text;
}

function httpLink(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

/** An error that createForm shows on the field named `field`. */
function fieldError(field, message) {
  const err = new Error(message);
  err.field = field;
  return err;
}

function statusTag(src) {
  if (src.status === 'failing') return h('span', { class: 'tag tag-off', text: t('veille.sourceFailing') });
  if (src.status === 'pending') return h('span', { class: 'tag', text: t('veille.sourcePending') });
  return h('span', { class: 'tag tag-ok', text: t('veille.sourceOk') });
}

export async function render(ctx) {
  const { signal } = ctx;
  let lastOwnAction = 0;
  const id = Number(ctx.params.id);
  let field = (await api.get(`/api/watch/fields/${encodeURIComponent(ctx.params.id)}`, { signal })).field;
  pageTitle = `${field.name} — ${t('veille.title')}`;
  let state = STATES.includes(ctx.query?.get?.('etat')) ? ctx.query.get('etat') : 'new';
  const mayRefresh = Boolean(ctx.user && (ctx.user.role === 'animateur' || ctx.user.role === 'admin'));
  let favouriteCount = null; // the person's favourites in this field, once read
  // « Non lus seulement »: kept in the address (?non-lus=1), so that a reload keeps it.
  let unreadOnly = ctx.query?.get?.('non-lus') === '1';

  const headingId = uid('titre');
  const inboxId = uid('titre');
  const sourcesId = uid('titre');
  const rulesId = uid('titre');
  const tabs = h('div', { class: 'watch-tabs', role: 'group', 'aria-label': t('veille.inboxTabs') });
  const list = h('ol', { class: 'watch-items', 'aria-labelledby': inboxId });
  const empty = h('p', { class: 'panel watch-empty' });
  const sourcesBox = h('div', { class: 'watch-sources' });
  const sourcesHeading = h('h2', { id: sourcesId, tabindex: '-1', text: t('veille.sourcesTitle') });
  const ownersLine = h('p', { class: 'hint' });
  let counts = { new: 0, kept: 0, discarded: 0, unread: 0 };

  // ------------------------------------------------------------ reading bar
  // Above the list: « Non lus seulement », how many are unread in the current state, and
  // « Tout marquer comme lu ». Not for the favourites, which mix every state.
  const unreadCountId = uid('compte');
  const unreadBox = h('input', {
    type: 'checkbox', 'aria-describedby': unreadCountId,
    onchange: () => {
      unreadOnly = unreadBox.checked;
      const url = new URL(location.href);
      if (unreadOnly) url.searchParams.set('non-lus', '1');
      else url.searchParams.delete('non-lus');
      history.replaceState(history.state, '', url.pathname + url.search + url.hash);
      loadInbox();
    },
  });
  unreadBox.checked = unreadOnly;
  const unreadCount = h('span', { id: unreadCountId, class: 'hint' });
  let markingAll = false;
  const markAllButton = h('button', {
    type: 'button', class: 'button button-small button-secondary',
    onclick: () => markAllRead(),
  }, t('veille.markAllRead'));
  const readBar = h('div', { class: 'watch-readbar' },
    h('label', { class: 'watch-unread-toggle' }, unreadBox, t('veille.unreadOnly')),
    unreadCount, markAllButton);
  function drawReadBar() {
    readBar.hidden = state === FAVOURITES;
    const n = Math.max(0, Number(counts.unread) || 0);
    unreadCount.textContent = tn('veille.unreadCount', n, { n: formatNumber(n) });
    // Disabled in place (aria-disabled) rather than removed from the tab order, so that
    // the focus stays on it once everything is read.
    markAllButton.setAttribute('aria-disabled', String(markingAll || n === 0 || shown.length === 0));
  }

  // « Tout marquer comme lu »: up to the first (newest) item shown, so that what arrived
  // since the list was drawn stays unread.
  async function markAllRead() {
    if (markAllButton.getAttribute('aria-disabled') === 'true') return;
    const upTo = shown[0]?.id;
    markingAll = true;
    drawReadBar();
    let res;
    try {
      res = await api.post(`/api/watch/fields/${id}/read`, { state, ...(upTo ? { up_to: upTo } : {}) }, { signal });
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return;
    } finally {
      markingAll = false;
      drawReadBar();
    }
    const marked = Number(res.marked) || 0;
    await loadInbox();
    ctx.announce(tn('veille.markedRead', marked, { n: formatNumber(marked) }), marked ? 'success' : 'info');
  }

  // ------------------------------------------------------------ inbox
  function drawTabs() {
    const focused = tabs.contains(document.activeElement) ? document.activeElement.dataset.tab : null;
    tabs.replaceChildren(...[...STATES, FAVOURITES].map((s) => h('button', {
      type: 'button',
      class: s === state ? 'button button-small' : 'button button-small button-secondary',
      'aria-pressed': String(s === state),
      'data-tab': s,
      onclick: () => { state = s; loadInbox(); },
    }, s === FAVOURITES ? t('veille.favourites') : t(`veille.state.${s}`),
    s === FAVOURITES ? (favouriteCount === null ? '' : ` (${favouriteCount})`) : ` (${counts[s] ?? 0})`)));
    if (focused) tabs.querySelector(`[data-tab="${focused}"]`)?.focus();
  }

  function qualifyForm(item) {
    const formTitle = uid('titre');
    const { form } = createForm({
      labelledBy: formTitle,
      className: 'form watch-qualify',
      onSubmit: async (values, f) => {
        const decision = f.dataset.decision || 'kept';
        const tags = String(values.tags || '').split(',').map((x) => x.trim()).filter(Boolean);
        lastOwnAction = Date.now();
        await api.post(`/api/watch/fields/${id}/items/${item.id}`, {
          state: decision,
          summary: values.summary || '',
          importance: Number(values.importance || 0),
          tags,
          version: item.version,
        }, { signal });
        draft.clear();
        ctx.announce(t(decision === 'kept' ? 'veille.keptDone' : 'veille.discardedDone', { title: item.title }), 'success');
        // Keyboard users go on from where they were: the item that takes its place.
        loadInbox({ focusAt: Math.max(0, shown.findIndex((x) => x.id === item.id)) });
      },
      children: [
        h('h4', { id: formTitle, class: 'visually-hidden', text: t('veille.qualifyTitle', { title: item.title }) }),
        textareaField({ label: t('veille.summaryLabel'), name: 'summary', value: item.summary, rows: 2,
          hint: t('veille.summaryHint'), attrs: { maxlength: '2000' } }),
        h('div', { class: 'watch-qualify-row' },
          selectField({ label: t('veille.importance'), name: 'importance', value: item.importance,
            options: [0, 1, 2, 3].map((n) => ({ value: String(n), label: t(`veille.importance${n}`) })) }),
          inputField({ label: t('veille.tags'), name: 'tags', value: (item.tags || []).join(', '),
            hint: t('veille.tagsHint'), attrs: { maxlength: '400' } })),
        actions(
          h('button', { type: 'submit', class: 'button', 'data-decision': 'kept',
            onclick: (e) => { e.currentTarget.form.dataset.decision = 'kept'; } },
          t('veille.keep'), srOnly(`\u00A0: ${item.title}`)),
          h('button', { type: 'submit', class: 'button button-secondary', 'data-decision': 'discarded',
            onclick: (e) => { e.currentTarget.form.dataset.decision = 'discarded'; } },
          t('veille.discard'), srOnly(`\u00A0: ${item.title}`))),
      ],
    });
    // What is typed survives a reload (per item and version: a newer version starts afresh).
    const draft = keepDraft(form, `veille.${id}.item.${item.id}.${item.version}`);
    if (draft.restored) form.dataset.restored = 'true';
    return form;
  }

  // A person's reading: read / unread, favourite. The item is drawn again in place.
  async function mark(item, change) {
    const before = { read: item.read, favourite: item.favourite };
    // The unread count of the state shown follows the person's reading.
    const unreadDelta = state !== FAVOURITES && 'read' in change && Boolean(before.read) !== Boolean(change.read)
      ? (change.read ? -1 : 1) : 0;
    Object.assign(item, change);
    counts.unread = Math.max(0, (Number(counts.unread) || 0) + unreadDelta);
    redraw(item);
    drawReadBar();
    try {
      await api.post(`/api/watch/items/${item.id}/mark`, change, { signal });
      if ('favourite' in change && favouriteCount !== null && Boolean(before.favourite) !== Boolean(change.favourite)) {
        favouriteCount += change.favourite ? 1 : -1;
        drawTabs();
      }
    } catch (err) {
      Object.assign(item, before);
      counts.unread = Math.max(0, (Number(counts.unread) || 0) - unreadDelta);
      redraw(item);
      drawReadBar();
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
    }
  }

  const views = new Map(); // item id -> <li>
  function redraw(item) {
    const old = views.get(item.id);
    const next = state === FAVOURITES ? favouriteView(item) : itemView(item);
    if (!old) return;
    const focused = old.contains(document.activeElement) ? document.activeElement.dataset.focus || 'item' : null;
    old.replaceWith(next);
    if (focused) (next.querySelector(`[data-focus="${focused}"]`) || next).focus();
  }

  // Folded until wanted (30 items stay a readable list), open when something was typed.
  function qualifyBox(item) {
    const form = qualifyForm(item);
    return h('details', { class: 'watch-qualify-box', open: (Boolean(item.summary) && item.state === 'new') || form.dataset.restored === 'true' },
      h('summary', {}, t(item.state === 'new' ? 'veille.qualify' : 'veille.requalify'), srOnly(`\u00A0: ${item.title}`)),
      form);
  }

  // A favourite as the favourites' route gives it (title, link, date, fields): read, opened,
  // taken out of the favourites (and put back) from here.
  function favouriteView(item) {
    const link = httpLink(item.link);
    const titleId = uid('element');
    const li = h('li', { class: 'watch-item', 'aria-labelledby': titleId, tabindex: '-1', 'data-focus': 'item' },
      h('h3', { id: titleId, class: 'watch-item-title' },
        link ? h('a', { href: link, rel: 'noopener noreferrer', target: '_blank', 'data-focus': 'link' }, item.title, srOnly(t('veille.newTab')))
          : item.title),
      h('p', { class: 'watch-reading' },
        h('button', {
          type: 'button', class: 'button button-small button-secondary', 'data-focus': 'favourite',
          'aria-pressed': String(item.favourite !== false), onclick: () => mark(item, { favourite: item.favourite === false }),
        }, t('veille.favourite'), srOnly(`\u00A0: ${item.title}`))),
      h('p', { class: 'hint' }, h('time', { datetime: isoDate(item.published_at) }, describeDate(item.published_at))));
    views.set(item.id, li);
    return li;
  }

  function itemView(item) {
    const link = httpLink(item.link);
    const titleId = uid('element');
    const sources = (item.sources || []).map((s) => s.title || s.url).filter(Boolean);
    const li = h('li', {
      class: item.read ? 'watch-item' : 'watch-item watch-item-unread', 'aria-labelledby': titleId,
      tabindex: '-1', 'data-focus': 'item',
    },
      h('h3', { id: titleId, class: 'watch-item-title' },
        item.read ? null : h('span', { class: 'tag tag-unread', text: t('veille.unread') }), item.read ? null : ' ',
        link ? h('a', {
          href: link, rel: 'noopener noreferrer', target: '_blank', 'data-focus': 'link',
          onclick: () => { if (!item.read) mark(item, { read: true }); },
        }, item.title, srOnly(t('veille.newTab')))
          : item.title),
      h('p', { class: 'watch-reading' },
        h('button', {
          type: 'button', class: 'button button-small button-secondary', 'data-focus': 'read',
          'aria-pressed': String(Boolean(item.read)), onclick: () => mark(item, { read: !item.read }),
        }, t('veille.markRead'), srOnly(`\u00A0: ${item.title}`)),
        ' ',
        h('button', {
          type: 'button', class: 'button button-small button-secondary', 'data-focus': 'favourite',
          'aria-pressed': String(Boolean(item.favourite)), onclick: () => mark(item, { favourite: !item.favourite }),
        }, t('veille.favourite'), srOnly(`\u00A0: ${item.title}`))),
      h('p', { class: 'hint' },
        h('time', { datetime: isoDate(item.published_at) }, describeDate(item.published_at)),
        item.date_guessed ? ` ${t('veille.dateGuessed')}` : '',
        sources.length ? ` · ${t(sources.length > 1 ? 'veille.fromMany' : 'veille.fromOne', { names: sources.join(', ') })}` : ''),
      item.rule ? h('p', {}, h('span', { class: 'tag tag-unread', text: t('veille.byRule', { keyword: item.rule }) })) : null,
      excerpt(item) ? h('p', { class: 'watch-excerpt', text: excerpt(item) }) : null,
      item.importance > 0 ? h('p', {}, h('span', { class: 'tag', text: `${t('veille.importance')} : ${t(`veille.importance${item.importance}`)}` })) : null,
      item.summary ? h('p', { class: 'watch-summary' }, h('strong', { text: t('veille.summaryShown') }), ' ', item.summary) : null,
      (item.tags || []).length ? h('p', {}, item.tags.map((tag) => h('span', { class: 'tag', text: tag }))) : null,
      commentsBox(item),
      field.may_curate ? qualifyBox(item) : null);
    views.set(item.id, li);
    return li;
  }

  // Comments: anyone signed in; loaded when unfolded. Shown as text.
  function commentsBox(item) {
    const list = h('ol', { class: 'watch-comments' });
    const formTitle = uid('titre');
    const draw = (comments) => {
      list.replaceChildren(...comments.map((cm) => h('li', {},
        h('p', { class: 'hint' }, h('strong', { text: cm.author }), ' · ',
          h('time', { datetime: isoDate(cm.created_at) }, describeDate(cm.created_at))),
        h('p', { class: 'watch-comment-body', text: cm.body }))));
    };
    const { form } = createForm({
      labelledBy: formTitle,
      className: 'form watch-comment-form',
      onSubmit: async (values, f) => {
        const res = await api.post(`/api/watch/fields/${id}/items/${item.id}/comments`, { body: values.body }, { signal });
        commentDraft.clear();
        f.reset();
        item.comments = (res.comments || []).length;
        summaryText.textContent = t('veille.comments', { n: item.comments });
        draw(res.comments || []);
        ctx.announce(t('veille.commented'), 'success');
      },
      children: [
        h('h4', { id: formTitle, class: 'visually-hidden', text: t('veille.commentTitle', { title: item.title }) }),
        textareaField({ label: t('veille.commentLabel'), name: 'body', required: true, rows: 2, attrs: { maxlength: '2000' } }),
        actions(h('button', { type: 'submit', class: 'button button-small button-secondary', text: t('veille.commentButton') })),
      ],
    });
    // A comment being written survives a reload (per field and item), as a qualification does.
    const commentDraft = keepDraft(form, `veille.${id}.comment.${item.id}`);
    const summaryText = h('span', { text: t('veille.comments', { n: item.comments || 0 }) });
    const box = h('details', { class: 'watch-comments-box' },
      h('summary', {}, summaryText, srOnly(`\u00A0: ${item.title}`)), list, form);
    let loaded = false;
    box.addEventListener('toggle', async () => {
      if (!box.open || loaded) return;
      loaded = true;
      try {
        draw((await api.get(`/api/watch/fields/${id}/items/${item.id}/comments`, { signal })).comments || []);
      } catch (err) {
        loaded = false;
        if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      }
    });
    // Open where a comment was being written.
    if (commentDraft.restored && form.elements.namedItem('body').value.trim()) box.open = true;
    return box;
  }

  // Reading from the keyboard: j / k next and previous item, o opens it, r read or
  // unread, s favourite. Only while the focus is in the list of items (WCAG 2.1.4: a
  // letter typed elsewhere, or by speech input, does nothing), not while typing in a
  // field, nor with a modifier key. What r and s change is said (shortcutStatus).
  let shown = [];
  const shortcutStatus = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (!list.contains(document.activeElement)) return;
    const target = event.target;
    if (target && (target.closest('input, textarea, select, [contenteditable="true"]'))) return;
    if (!['j', 'k', 'o', 'r', 's'].includes(event.key)) return;
    const items = [...list.querySelectorAll('li.watch-item')];
    if (!items.length) return;
    const current = items.findIndex((li) => li.contains(document.activeElement));
    if (event.key === 'j' || event.key === 'k') {
      const next = current < 0 ? 0 : Math.max(0, Math.min(items.length - 1, current + (event.key === 'j' ? 1 : -1)));
      items[next].focus();
      items[next].scrollIntoView({ block: 'nearest' });
      event.preventDefault();
      return;
    }
    if (current < 0) return;
    const item = shown.find((i) => views.get(i.id) === items[current]);
    if (!item) return;
    event.preventDefault();
    if (event.key === 'o') {
      const link = items[current].querySelector('a[data-focus="link"]');
      if (link) link.click();
    } else if (event.key === 'r') {
      const read = !item.read;
      mark(item, { read });
      shortcutStatus.textContent = t(read ? 'veille.shortcutRead' : 'veille.shortcutUnread', { title: item.title });
    } else if (event.key === 's') {
      const favourite = state === FAVOURITES ? item.favourite === false : !item.favourite;
      mark(item, { favourite });
      shortcutStatus.textContent = t(favourite ? 'veille.shortcutFavourite' : 'veille.shortcutUnfavourite', { title: item.title });
    }
  }
  list.addEventListener('keydown', onKey, { signal });
  // The shortcuts, said on the page (folded: a reminder, not a lesson).
  const shortcutsHelp = h('details', { class: 'watch-shortcuts' },
    h('summary', { text: t('veille.shortcutsTitle') }),
    h('p', { class: 'hint', text: t('veille.shortcutsWhere') }),
    h('dl', { class: 'watch-shortcut-list' }, [['j', 'veille.shortcutJ'], ['k', 'veille.shortcutK'], ['o', 'veille.shortcutO'],
      ['r', 'veille.shortcutR'], ['s', 'veille.shortcutS']].map(([key, text]) => h('div', {},
      h('dt', {}, h('kbd', { text: key })), h('dd', { text: t(text) })))));

  // A page of 50 at a time, the older ones on demand (« Afficher les suivants »).
  let nextBefore = null;
  const moreButton = h('button', { type: 'button', class: 'button button-secondary', hidden: true,
    onclick: () => loadInbox({ more: true }) }, t('veille.more'));
  async function loadFavourites() {
    const all = (await api.get('/api/watch/favourites', { signal })).items || [];
    return all.filter((x) => (x.fields || []).some((f) => Number(f.id) === id)).map((x) => ({ ...x, favourite: true }));
  }

  // Only the newest load draws: a tab chosen while another was loading wins, whichever
  // answer comes back first.
  let loadSeq = 0;
  async function loadInbox({ more = false, focusAt = null } = {}) {
    const seq = ++loadSeq;
    drawReadBar();
    if (state === FAVOURITES) {
      list.setAttribute('aria-busy', 'true');
      let items;
      try {
        items = await loadFavourites();
      } catch (err) {
        if (seq !== loadSeq) return;
        list.removeAttribute('aria-busy');
        if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
        return;
      }
      if (seq !== loadSeq) return;
      list.removeAttribute('aria-busy');
      favouriteCount = items.length;
      drawTabs();
      nextBefore = null;
      moreButton.hidden = true;
      shown = items;
      views.clear();
      list.replaceChildren(...items.map(favouriteView));
      list.hidden = items.length === 0;
      empty.hidden = items.length !== 0;
      empty.textContent = t('veille.favouritesEmpty');
      return;
    }
    list.setAttribute('aria-busy', 'true');
    let page;
    try {
      const after = more && nextBefore ? `&before=${encodeURIComponent(nextBefore)}` : '';
      const unread = unreadOnly ? '&unread=true' : '';
      page = await api.get(`/api/watch/fields/${id}/items?state=${state}${unread}${after}`, { signal });
    } catch (err) {
      if (seq !== loadSeq) return;
      list.removeAttribute('aria-busy');
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return;
    }
    if (seq !== loadSeq) return;
    list.removeAttribute('aria-busy');
    counts = page.counts || counts;
    drawTabs();
    const items = page.items || [];
    nextBefore = page.next_before ?? null;
    moreButton.hidden = !nextBefore;
    if (more) {
      const first = items.length ? itemView(items[0]) : null;
      shown = shown.concat(items);
      list.append(...(first ? [first] : []), ...items.slice(1).map(itemView));
      if (first) first.focus();
      drawReadBar();
      return;
    }
    shown = items;
    views.clear();
    list.replaceChildren(...items.map(itemView));
    list.hidden = items.length === 0;
    empty.hidden = items.length !== 0;
    drawReadBar();
    empty.textContent = t(unreadOnly ? 'veille.empty.unread' : `veille.empty.${state}`);
    if (state === 'new' && !unreadOnly && items.length === 0 && !(field.sources || []).length) {
      // Curators are told there is nothing to qualify, and what to do about it.
      empty.textContent = !field.may_curate ? t('veille.empty.newMember')
        : field.source_hint ? t('veille.empty.newCuratorHint', { hint: field.source_hint }) : t('veille.empty.newCurator');
    }
    if (focusAt !== null) {
      const target = items.length ? views.get(items[Math.min(focusAt, items.length - 1)].id) : empty;
      if (target === empty) empty.setAttribute('tabindex', '-1');
      target.focus();
    }
  }

  // ------------------------------------------------------------ sources
  // A source's tools: read it again now (animateurs and administrators), remove it from
  // this field (its curators), after a confirmation.
  async function refreshSource(src) {
    const name = src.title || src.url;
    try {
      await api.post(`/api/watch/sources/${encodeURIComponent(src.id)}/refresh`, {}, { signal });
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return;
    }
    ctx.announce(t('veille.sourceRefreshed', { title: name }), 'success');
    // The job reads it within seconds: its status and the inbox drawn again then.
    setTimeout(() => { if (!signal.aborted) reloadField({ inbox: true }); }, 5000);
  }

  async function removeSource(src) {
    const name = src.title || src.url;
    const ok = await confirmDialog({
      title: t('veille.sourceRemoveTitle'), text: t('veille.sourceRemoveText', { title: name }),
      confirmLabel: t('veille.sourceRemoveConfirm'), danger: true, signal,
    });
    if (!ok) return;
    try {
      lastOwnAction = Date.now();
      await api.del(`/api/watch/fields/${id}/sources/${encodeURIComponent(src.id)}`, { signal });
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return;
    }
    ctx.announce(t('veille.sourceRemoved', { title: name }), 'success');
    await reloadField();
    sourcesHeading.focus();
  }

  /** Reads the field again (its sources' status) and draws its sources. */
  async function reloadField({ inbox = false } = {}) {
    try {
      const fresh = await api.get(`/api/watch/fields/${id}`, { signal });
      field = fresh.field;
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return;
    }
    const focused = sourcesBox.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
    drawSources();
    if (focused) sourcesBox.querySelector(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
    if (inbox && !typing()) loadInbox();
  }

  function drawSources() {
    const sources = field.sources || [];
    const rows = sources.map((src) => h('li', { class: 'watch-source' },
      h('p', {}, h('strong', { text: src.title || src.url }), ' ', statusTag(src)),
      h('p', { class: 'hint watch-url', text: src.url }),
      src.error ? h('p', { class: 'watch-error', text: src.error.message }) : null,
      h('p', { class: 'hint' },
        src.last_success_at ? t('veille.lastSuccess', { when: describeDate(src.last_success_at) }) : t('veille.neverFetched'),
        ' · ', t('veille.nextFetch', { when: describeDate(src.next_fetch_at) })),
      (mayRefresh && !field.archived) || field.may_curate ? h('p', { class: 'row-actions' },
        mayRefresh && !field.archived ? h('button', {
          type: 'button', class: 'button button-small button-secondary', 'data-focus': `refresh-${src.id}`,
          onclick: () => refreshSource(src),
        }, t('veille.sourceRefresh'), srOnly(`\u00A0: ${src.title || src.url}`)) : null,
        field.may_curate ? h('button', {
          type: 'button', class: 'button button-small button-danger-quiet', 'data-focus': `remove-${src.id}`,
          onclick: () => removeSource(src),
        }, t('veille.sourceRemove'), srOnly(`\u00A0: ${src.title || src.url}`)) : null) : null));
    // The field's hint says what sources to add: for those who may add them.
    const children = [
      sources.length ? h('ul', { class: 'watch-source-list' }, rows)
        : h('p', { class: 'panel', text: field.may_curate ? field.source_hint || t('veille.noSources') : t('veille.noSourcesMember') }),
    ];
    if (sources.length) {
      children.push(h('p', {}, h('a', {
        href: `/api/watch/fields/${id}/opml`, download: `veille-${id}.opml`, text: t('veille.opmlExport'),
      })));
    }
    if (field.may_curate && !field.archived) children.push(addSourceForm(), opmlForm());
    sourcesBox.replaceChildren(...children);
  }

  // A feed reader's list (OPML): each feed becomes a source of this field.
  function opmlForm() {
    const formTitle = uid('titre');
    const { form } = createForm({
      labelledBy: formTitle,
      className: 'form watch-opml',
      onSubmit: async (values, f) => {
        const file = f.querySelector('input[type="file"]').files[0];
        if (!file) throw Object.assign(new Error(t('veille.opmlMissing')), { field: 'opml' });
        if (file.size > 4 * 1024 * 1024) throw Object.assign(new Error(t('veille.opmlTooLarge')), { field: 'opml' });
        const text = await file.text();
        lastOwnAction = Date.now();
        const res = await api.post(`/api/watch/fields/${id}/opml`, { opml: text }, { signal });
        f.reset();
        ctx.announce(t('veille.opmlDone', { added: res.added, already: res.already }), 'success');
        const fresh = await api.get(`/api/watch/fields/${id}`, { signal });
        field = fresh.field;
        drawSources();
      },
      children: [
        h('h3', { id: formTitle, text: t('veille.opmlImport') }),
        inputField({ label: t('veille.opmlFile'), name: 'opml', type: 'file', hint: t('veille.opmlHint'),
          attrs: { accept: '.opml,.xml,text/x-opml,application/xml,text/xml' } }),
        actions(h('button', { type: 'submit', class: 'button button-secondary', text: t('veille.opmlButton') })),
      ],
    });
    return form;
  }

  function addSourceForm() {
    const formTitle = uid('titre');
    const preview = h('div', { class: 'watch-preview', 'aria-live': 'polite' });
    // Why the address is not a feed, and the feeds the page offers: choosing one puts its
    // address in the field, ready to test or add.
    const showOffers = (f, message, offers) => {
      const input = f.querySelector('input[name="url"]');
      preview.replaceChildren(...[
        h('p', { class: 'watch-error', text: message }),
        offers.length ? h('ul', { class: 'watch-offers' }, offers.map((o) => h('li', {},
          h('span', { text: `${o.title || o.url} — ${o.url}` }), ' ',
          h('button', { type: 'button', class: 'button button-small button-secondary',
            'aria-label': t('veille.chooseFeedNamed', { title: o.title || o.url }),
            onclick: () => {
              input.value = o.url;
              input.dispatchEvent(new Event('input', { bubbles: true }));
              input.focus();
              ctx.announce(t('veille.feedChosen'), 'info');
            } }, t('veille.chooseFeed'))))) : null,
      ].filter(Boolean));
    };
    const { form } = createForm({
      labelledBy: formTitle,
      onSubmit: async (values, f) => {
        preview.replaceChildren();
        if (f.dataset.mode === 'test') {
          const res = await api.post('/api/watch/sources/test', { url: values.url }, { signal });
          if (!res.ok) {
            showOffers(f, res.error?.message || t('veille.testFailed'), res.feeds || []);
            return;
          }
          const items = res.feed.items || [];
          preview.replaceChildren(
            h('p', { text: tn('veille.testOk', items.length, { title: res.feed.title || values.url }) }),
            h('ul', {}, items.slice(0, 5).map((i) => h('li', { text: i.title }))),
            ...(res.feed.warnings || []).map((w) => h('p', { class: 'hint', text: w })));
          return;
        }
        lastOwnAction = Date.now();
        let res;
        try {
          res = await api.post(`/api/watch/fields/${id}/sources`, { url: values.url }, { signal });
        } catch (err) {
          // A page offering several feeds: each is a choice, not a dead end.
          if (err instanceof ApiError && err.code === 'plusieurs_flux' && Array.isArray(err.data?.feeds)) {
            showOffers(f, err.message, err.data.feeds);
            return;
          }
          throw err;
        }
        field = { ...res.field, may_curate: field.may_curate };
        ctx.announce(t('veille.sourceAdded'), 'success');
        drawSources();
        loadInbox();
      },
      children: [
        h('h3', { id: formTitle, text: t('veille.addSource') }),
        inputField({ label: t('veille.sourceUrl'), name: 'url', type: 'url', required: true,
          hint: t('veille.sourceUrlHint'), attrs: { maxlength: '2000', inputmode: 'url' } }),
        actions(
          h('button', { type: 'submit', class: 'button button-secondary',
            onclick: (e) => { e.currentTarget.form.dataset.mode = 'test'; } }, t('veille.testSource')),
          h('button', { type: 'submit', class: 'button',
            onclick: (e) => { e.currentTarget.form.dataset.mode = 'add'; } }, t('veille.addSourceButton'))),
        preview,
      ],
    });
    return form;
  }

  // Anyone signed in may bring a link (a decree, another CPTS's benchmark) or a note.
  function postForm() {
    const formTitle = uid('titre');
    const { form } = createForm({
      labelledBy: formTitle,
      className: 'form watch-post',
      onSubmit: async (values, f) => {
        // Said precisely, on the address field (the first one): a page's address, or a
        // note's title; an address the server could read.
        if (!values.url && !values.title) throw fieldError('url', t('veille.postNeedsOne'));
        if (values.url && !/^https?:\/\/[^\s/?#]+\S*$/i.test(values.url)) {
          throw fieldError('url', t('veille.postBadUrl'));
        }
        const body = values.url
          ? { kind: 'link', url: values.url, title: values.title || undefined, text: values.text || undefined }
          : { kind: 'note', title: values.title, text: values.text || undefined };
        lastOwnAction = Date.now();
        const res = await api.post(`/api/watch/fields/${id}/items`, body, { signal });
        postDraft.clear();
        f.reset();
        ctx.announce(t('veille.postDone', { title: res.title }), 'success');
        state = 'new';
        loadInbox();
      },
      children: [
        h('h3', { id: formTitle, text: t('veille.postTitle') }),
        h('p', { class: 'hint', text: t('veille.postHint') }),
        inputField({ label: t('veille.postUrl'), name: 'url', type: 'url', attrs: { maxlength: '2000', inputmode: 'url' } }),
        inputField({ label: t('veille.postTitleField'), name: 'title', attrs: { maxlength: '300' } }),
        textareaField({ label: t('veille.postText'), name: 'text', rows: 3, attrs: { maxlength: '5000' } }),
        actions(h('button', { type: 'submit', class: 'button button-secondary', text: t('veille.postButton') })),
      ],
    });
    // What is typed survives a reload, as a qualification does.
    const postDraft = keepDraft(form, `veille.${id}.post`);
    return form;
  }

  // ------------------------------------------------------------ rules
  const rulesBox = h('div', { class: 'watch-rules' });
  async function loadRules() {
    let rules = [];
    try {
      rules = (await api.get(`/api/watch/fields/${id}/rules`, { signal })).rules || [];
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return;
    }
    drawRules(rules);
  }
  function drawRules(rules) {
    const list = rules.length
      ? h('ul', { class: 'watch-rule-list' }, rules.map((r) => h('li', {},
        t(r.action === 'discard' ? 'veille.ruleDiscard' : 'veille.ruleFlag', { keyword: r.keyword }),
        field.may_curate ? [' ', h('button', {
          type: 'button', class: 'button button-small button-secondary',
          onclick: async () => {
            try {
              await api.del(`/api/watch/fields/${id}/rules/${r.id}`, { signal });
              ctx.announce(t('veille.ruleRemoved', { keyword: r.keyword }), 'success');
              loadRules();
            } catch (err) {
              if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
            }
          },
        }, t('veille.ruleRemove'), srOnly(`\u00A0: ${r.keyword}`))] : null)))
      : h('p', { class: 'hint', text: t('veille.noRules') });
    const children = [list];
    if (field.may_curate) {
      const formTitle = uid('titre');
      const { form } = createForm({
        labelledBy: formTitle,
        className: 'form watch-rule-form',
        onSubmit: async (values, f) => {
          const res = await api.post(`/api/watch/fields/${id}/rules`, { keyword: values.keyword, action: values.action }, { signal });
          f.reset();
          // Applied to what waits already too: said, and the inbox drawn again.
          ctx.announce(tn('veille.ruleAdded', res.applied || 0), 'success');
          drawRules(res.rules || []);
          if (res.applied) loadInbox();
        },
        children: [
          h('h3', { id: formTitle, text: t('veille.ruleAdd') }),
          h('div', { class: 'watch-qualify-row' },
            inputField({ label: t('veille.ruleKeyword'), name: 'keyword', required: true, attrs: { maxlength: '100' } }),
            selectField({ label: t('veille.ruleAction'), name: 'action', value: 'flag', options: [
              { value: 'flag', label: t('veille.ruleActionFlag') },
              { value: 'discard', label: t('veille.ruleActionDiscard') }] })),
          actions(h('button', { type: 'submit', class: 'button button-secondary', text: t('veille.ruleAddButton') })),
        ],
      });
      children.push(form);
    }
    rulesBox.replaceChildren(...children);
  }

  function drawOwners() {
    const owners = field.owners || [];
    const names = (role) => owners.filter((o) => o.role === role)
      .map((o) => (o.active ? o.name : t('veille.gone', { name: o.name }))).join(', ');
    const main = names('owner');
    const backup = names('backup');
    ownersLine.textContent = [main ? t('veille.ownersList', { names: main }) : t('veille.noOwner'),
      backup ? t('veille.backupsList', { names: backup }) : ''].filter(Boolean).join(' ');
  }

  // Animateurs and administrators name who curates the field: people (a member in person)
  // or organisations (every member of theirs), as owners or backups.
  const ownersBox = h('div', { class: 'watch-owners-editor' });
  const mayAssign = ctx.user && (ctx.user.role === 'animateur' || ctx.user.role === 'admin') && !field.archived;
  async function ownersEditor() {
    let people = [];
    let orgs = [];
    try {
      [people, orgs] = await Promise.all([
        api.get('/api/users', { signal }).then((r) => r.users || []),
        api.get('/api/orgs', { signal }).then((r) => r.orgs || []),
      ]);
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return null;
    }
    let editing = (field.owners || []).map((o) => ({ ...o }));
    const listEl = h('ul', { class: 'watch-owner-list' });
    const status = h('p', { class: 'hint', role: 'status' });
    const whoId = uid('champ');
    const roleId = uid('champ');
    const who = h('select', { id: whoId },
      h('option', { value: '', text: t('veille.owners.choose') }),
      h('optgroup', { label: t('veille.owners.people') },
        people.map((u) => h('option', { value: `u:${u.id}`, text: u.org ? `${u.name} (${u.org.name})` : u.name }))),
      h('optgroup', { label: t('veille.owners.orgs') },
        orgs.map((o) => h('option', { value: `o:${o.id}`, text: o.name }))));
    const role = h('select', { id: roleId },
      h('option', { value: 'owner', text: t('veille.owners.owner') }),
      h('option', { value: 'backup', text: t('veille.owners.backup') }));
    const key = (o) => (o.user_id ? `u:${o.user_id}` : `o:${o.org_id}`);
    function drawList() {
      listEl.replaceChildren(...(editing.length ? editing.map((o, i) => h('li', {},
        h('span', { text: `${o.name} — ${t(o.role === 'owner' ? 'veille.owners.owner' : 'veille.owners.backup')}` }), ' ',
        h('button', { type: 'button', class: 'button button-small button-secondary',
          'aria-label': t('veille.owners.removeNamed', { name: o.name }),
          onclick: () => { editing.splice(i, 1); drawList(); } }, t('veille.owners.remove'))))
        : [h('li', { text: t('veille.noOwner') })]));
    }
    const add = h('button', { type: 'button', class: 'button button-secondary button-small', onclick: () => {
      if (!who.value) { status.textContent = t('veille.owners.chooseFirst'); who.focus(); return; }
      const [kind, raw] = who.value.split(':');
      const entry = kind === 'u' ? { user_id: Number(raw) } : { org_id: Number(raw) };
      entry.role = role.value;
      entry.name = who.selectedOptions[0].textContent;
      editing = editing.filter((o) => key(o) !== key(entry)).concat([entry]);
      who.value = '';
      drawList();
      status.textContent = t('veille.owners.added', { name: entry.name });
    } }, t('veille.owners.add'));
    const save = h('button', { type: 'button', class: 'button', onclick: async () => {
      save.disabled = true;
      try {
        const res = await api.put(`/api/watch/fields/${id}/owners`, {
          owners: editing.map((o) => ({ ...(o.user_id ? { user_id: o.user_id } : { org_id: o.org_id }), role: o.role })),
        }, { signal });
        field = { ...field, owners: res.field.owners };
        editing = (field.owners || []).map((o) => ({ ...o }));
        drawOwners();
        drawList();
        ctx.announce(t('veille.owners.saved'), 'success');
      } catch (err) {
        if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      } finally {
        save.disabled = false;
      }
    } }, t('veille.owners.save'));
    drawList();
    // Choices not yet saved: leaving the page asks first, as the other forms do.
    const ownersKey = (owners) => JSON.stringify(owners.map((o) => `${key(o)}:${o.role}`).sort());
    guardLeaving(() => ownersKey(editing) !== ownersKey(field.owners || []), signal);
    return h('details', { class: 'watch-owners' },
      h('summary', { text: t('veille.owners.title') }),
      listEl,
      h('div', { class: 'form-row watch-owner-add' },
        h('div', { class: 'field' }, h('label', { for: whoId, text: t('veille.owners.who') }), who),
        h('div', { class: 'field' }, h('label', { for: roleId, text: t('veille.owners.as') }), role),
        add),
      status,
      h('p', {}, save));
  }
  if (mayAssign) ownersEditor().then((el) => { if (el) ownersBox.replaceChildren(el); });

  const followButton = h('button', { type: 'button', class: 'button button-secondary' });
  function drawFollow() {
    followButton.textContent = t(field.following ? 'veille.following' : 'veille.follow');
    followButton.setAttribute('aria-pressed', String(Boolean(field.following)));
  }
  followButton.addEventListener('click', async () => {
    try {
      const res = await api.put(`/api/watch/fields/${id}/follow`, { following: !field.following }, { signal });
      field.following = res.following;
      drawFollow();
      ctx.announce(t(field.following ? 'veille.followDone' : 'veille.unfollowDone'), 'success');
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
    }
  });

  // ------------------------------------------------------------ live
  // The page's socket follows this field: new items and retained ones show up without
  // reloading. A list with a qualification being typed is not redrawn under the
  // person's hands: a button offers the fresh list instead.
  const freshNotice = h('p', { class: 'watch-fresh', hidden: true, 'aria-live': 'polite' });
  function typing() {
    return [...list.querySelectorAll('textarea, input, select')].some((el) => el.value !== el.defaultValue
      || (el.tagName === 'SELECT' && el.selectedOptions[0] && !el.selectedOptions[0].defaultSelected));
  }
  function heardChange(text) {
    // The echo of this page's own action (it reloads and announces already).
    if (Date.now() - lastOwnAction < OWN_ECHO_MS) return;
    if (!typing()) {
      loadInbox();
      ctx.announce(text, 'info');
      return;
    }
    freshNotice.replaceChildren(text, ' ', h('button', {
      type: 'button', class: 'button button-small',
      onclick: () => { freshNotice.hidden = true; loadInbox(); },
    }, t('veille.showFresh')));
    freshNotice.hidden = false;
  }
  const stopLive = [
    socket.onWelcome(() => socket.send({ type: 'watch.subscribe', field: id })),
    socket.on('watch.items', (msg) => { if (Number(msg.field) === id) heardChange(t('veille.liveItems')); }),
    socket.on('watch.kept', (msg) => { if (Number(msg.field) === id) heardChange(t('veille.liveKept')); }),
    socket.hold(),
  ];
  signal.addEventListener('abort', () => {
    socket.send({ type: 'watch.subscribe', field: 0 });
    for (const stop of stopLive) stop();
  }, { once: true });

  drawFollow();
  drawOwners();
  drawTabs();
  drawSources();
  const countFavourites = async () => {
    if (state === FAVOURITES) return;
    try {
      favouriteCount = (await loadFavourites()).length;
      drawTabs();
    } catch { /* the tab shows no count */ }
  };
  await Promise.all([loadInbox(), loadRules(), countFavourites()]);

  const page = h('section', { class: 'page page-watch-field area-veille', 'aria-labelledby': headingId },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/veille', text: t('veille.back') })),
    h('h1', { id: headingId, text: field.name }),
    h('p', { class: 'lead', text: field.description || '' }),
    field.archived ? h('p', { class: 'panel', role: 'note', text: t('veille.archived') }) : null,
    ownersLine,
    ownersBox,
    h('p', {}, followButton, ' ', h('span', { class: 'hint', text: t('veille.followHint') })),
    h('section', { 'aria-labelledby': inboxId },
      h('h2', { id: inboxId, text: t('veille.inboxTitle') }),
      shortcutsHelp, shortcutStatus,
      tabs, readBar, freshNotice, empty, list, moreButton, field.archived ? null : postForm()),
    h('section', { 'aria-labelledby': sourcesId },
      sourcesHeading,
      sourcesBox),
    h('section', { 'aria-labelledby': rulesId },
      h('h2', { id: rulesId, text: t('veille.rulesTitle') }),
      h('p', { class: 'hint', text: t('veille.rulesLead') }),
      rulesBox));
  guardTypedText(page, signal);
  return page;
}
