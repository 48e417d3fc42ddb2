// One library item (/bibliotheque/:id): its text (Markdown rendered inert), metadata,
// attachments to download, version history (authors and reviewers), review actions,
// and "Dans le même esprit" (similar items).

import { api } from '../api.js';
import {
  formatDate, formatSize, itemCard, kindBadge, missionLabel, phaseLabel,
} from '../bibliotheque/common.js';
import { openDialog, confirmDialog } from '../dialog.js';
import { h, uid } from '../dom.js';
import { createForm, textareaField, actions, submitButton } from '../forms.js';
import { t } from '../i18n.js';
import { renderMarkdown } from '../markdown.js';

export const title = 'biblio.itemTitle';

function metaRow(label, value) {
  if (!value || (Array.isArray(value) && !value.length)) return null;
  return [h('dt', { text: label }), h('dd', { text: Array.isArray(value) ? value.join(', ') : value })];
}

export async function render(ctx) {
  const id = ctx.params.id;
  if (!/^\d{1,12}$/.test(id)) {
    const e = new Error(t('biblio.notFound'));
    throw e;
  }
  const version = new URLSearchParams(location.search).get('version');
  const [{ item }, similar] = await Promise.all([
    api.get(`/api/library/items/${id}${version ? `?version=${encodeURIComponent(version)}` : ''}`, { signal: ctx.signal }),
    api.get(`/api/library/items/${id}/similar`, { signal: ctx.signal }).catch(() => ({ items: [] })),
  ]);
  document.title = item.title;

  const reload = (flash) => ctx.navigate(`/bibliotheque/${item.id}`, { replace: true, flash });

  async function publish() {
    await api.post(`/api/library/items/${item.id}/publish`, { version: item.version });
    reload(t('biblio.published'));
  }

  async function reject() {
    const done = await openDialog({
      title: t('biblio.rejectTitle'),
      signal: ctx.signal,
      body: (close, titleId) => createForm({
        labelledBy: titleId,
        onSubmit: async (values) => {
          await api.post(`/api/library/items/${item.id}/reject`, { note: values.note, version: item.version });
          close(true);
        },
        children: [
          textareaField({ label: t('biblio.rejectNote'), name: 'note', required: true, rows: 4, attrs: { maxlength: '1000' } }),
          actions(submitButton(t('biblio.reject'), 'button button-danger'),
            h('button', { type: 'button', class: 'button button-secondary', text: t('common.cancel'), onclick: () => close(false) })),
        ],
      }).form,
    });
    if (done) reload(t('biblio.rejected'));
  }

  async function archive(flag) {
    if (flag) {
      const ok = await confirmDialog({
        title: t('biblio.archiveTitle'), text: t('biblio.archiveText'), confirmLabel: t('biblio.archive'), danger: true, signal: ctx.signal,
      });
      if (!ok) return;
    }
    await api.post(`/api/library/items/${item.id}/archive`, { archived: flag });
    reload(flag ? t('biblio.archived') : t('biblio.unarchived'));
  }

  const stateNote = [];
  if (item.archived) stateNote.push(h('p', { class: 'notice notice-info', text: t('biblio.isArchived') }));
  if (item.state === 'pending') stateNote.push(h('p', { class: 'notice notice-info', text: t('biblio.isPending') }));
  if (item.state === 'rejected') {
    stateNote.push(h('p', { class: 'notice notice-error', text: t('biblio.isRejected', { note: item.review_note }) }));
  }
  if (item.published_version && item.version !== item.published_version) {
    stateNote.push(h('p', { class: 'notice notice-info' },
      t('biblio.notPublishedVersion', { v: item.version }), ' ',
      h('a', { href: `/bibliotheque/${item.id}?version=${item.published_version}`, text: t('biblio.seePublished') })));
  }

  const buttons = [];
  if (item.can_edit) buttons.push(h('a', { class: 'button button-secondary', href: `/bibliotheque/${item.id}/modifier`, text: t('biblio.edit') }));
  // Review acts on the version on screen, and only the latest can be published or sent back.
  const onLatest = item.version === item.latest_version;
  if (item.can_review) {
    if (onLatest && !(item.state === 'published' && item.published_version === item.latest_version)) {
      buttons.push(h('button', { type: 'button', class: 'button', onclick: () => publish().catch((e) => ctx.announce(e.message, 'error')) },
        t('biblio.publish')));
    }
    if (onLatest && item.state === 'pending') buttons.push(h('button', { type: 'button', class: 'button button-danger-quiet', onclick: reject }, t('biblio.reject')));
    buttons.push(h('button', {
      type: 'button', class: 'button button-secondary',
      onclick: () => archive(!item.archived).catch((e) => ctx.announce(e.message, 'error')),
    }, item.archived ? t('biblio.unarchive') : t('biblio.archive')));
  }

  const attachmentsId = uid('pj');
  const historyId = uid('historique');
  const similarId = uid('similaires');

  return h('article', { class: 'page page-fiche area-bibliotheque' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/bibliotheque', text: t('biblio.back') })),
    h('div', { class: 'page-head' },
      h('div', {}, kindBadge(item.kind), h('h1', { text: item.title })),
      buttons.length ? h('div', { class: 'page-actions' }, buttons) : null),
    stateNote,
    h('p', { class: 'lead', text: item.summary }),
    h('dl', { class: 'item-meta' },
      metaRow(t('biblio.facet.phase'), item.phases.map(phaseLabel)),
      metaRow(t('biblio.facet.mission'), item.missions.map(missionLabel)),
      metaRow(t('biblio.facet.region'), item.region?.name),
      metaRow(t('biblio.organisation'), item.organisation?.name),
      metaRow(t('biblio.author'), item.author_name),
      metaRow(t('biblio.date'), formatDate(item.date)),
      metaRow(t('biblio.version'), String(item.version))),
    renderMarkdown(item.body, { headingOffset: 1, className: 'markdown item-body' }),
    item.attachments.length ? h('section', { class: 'block', 'aria-labelledby': attachmentsId },
      h('h2', { id: attachmentsId, text: t('biblio.attachments') }),
      h('ul', { class: 'attachments' }, item.attachments.map((a) => h('li', {},
        h('a', { href: a.url, download: a.name, text: a.name }), ' ',
        h('span', { class: 'muted', text: `(${formatSize(a.size)})` }))))) : null,
    item.history.length ? h('section', { class: 'block', 'aria-labelledby': historyId },
      h('h2', { id: historyId, text: t('biblio.history') }),
      h('ol', { class: 'history', reversed: true }, item.history.map((v) => h('li', {},
        h('a', { href: `/bibliotheque/${item.id}?version=${v.version}`, text: t('biblio.versionN', { v: v.version }) }),
        ` — ${formatDate(v.at)}${v.by ? ` — ${v.by}` : ''}${v.note ? ` — ${v.note}` : ''}`,
        v.published ? h('span', { class: 'badge state-published', text: t('biblio.state.published') }) : null)))) : null,
    similar.items.length ? h('section', { class: 'block', 'aria-labelledby': similarId },
      h('h2', { id: similarId, text: t('biblio.similar') }),
      h('ul', { class: 'cards' }, similar.items.map((s) => itemCard(s, { snippet: false })))) : null);
}
