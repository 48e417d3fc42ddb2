// « Veille »: the watch fields of the network (who answers for each, what waits to be
// qualified, what was retained) and the coverage table, where the « répartition des
// rôles » is visible: fields without an owner, owners who left, nothing retained for a
// month, failing sources, fields without a source.

import { api } from '../api.js';
import { h, stackTable, uid } from '../dom.js';
import { guardTypedText } from '../leave-guard.js';
import { t, tn } from '../i18n.js';
import { actions, createForm, inputField, keepDraft, selectField, textareaField } from '../forms.js';
import { renderMarkdown } from '../markdown.js';
import { dayDate, describeDate, parseDate } from '../time.js';

export const title = 'veille.title';

function ownersText(owners) {
  const list = (owners || []).filter((o) => o.role === 'owner').map((o) => o.name);
  const backups = (owners || []).filter((o) => o.role === 'backup').map((o) => o.name);
  if (!list.length && !backups.length) return t('veille.noOwner');
  let text = list.length ? t('veille.ownersList', { names: list.join(', ') }) : t('veille.noOwner');
  if (backups.length) text += ` ${t('veille.backupsList', { names: backups.join(', ') })}`;
  return text;
}

function fieldCard(f) {
  const counts = f.counts || {};
  return h('li', { class: 'card watch-card' },
    h('h2', { class: 'card-title' },
      h('a', { class: 'card-link', href: `/veille/champs/${encodeURIComponent(f.id)}`, text: f.name })),
    h('p', { text: f.description || '' }),
    h('p', { class: 'hint', text: ownersText(f.owners) }),
    h('p', { class: 'watch-counts' },
      h('span', { class: counts.new ? 'tag tag-unread' : 'tag', text: t('veille.countNew', { n: counts.new || 0 }) }),
      ' ',
      h('span', { class: 'tag', text: tn('veille.countKept', counts.kept || 0) }),
      ' ',
      h('span', { class: 'tag', text: tn('veille.countSources', counts.sources || 0) })));
}

function coverageTable(coverage) {
  const captionId = uid('couverture');
  const rows = (coverage.fields || []).map((row) => {
    const waiting = row.waiting || {};
    return h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `/veille/champs/${encodeURIComponent(row.id)}`, text: row.name })),
      h('td', { text: ownersText(row.owners) }),
      h('td', { class: 'num', text: String(row.sources ?? 0) }),
      // The number, then (on its own line, free to wrap) how old the oldest one is.
      h('td', { class: 'num' },
        h('span', { class: 'watch-num', text: String(waiting.count ?? 0) }),
        waiting.oldest_at ? h('span', { class: 'hint watch-oldest', text: t('veille.oldest', { when: describeDate(waiting.oldest_at) }) }) : null),
      h('td', { class: 'num', text: `${row.kept_30d ?? 0} / ${row.kept_90d ?? 0}` }),
      h('td', {}, (row.flags || []).length
        ? h('ul', { class: 'watch-flags' }, row.flags.map((f) => h('li', { class: 'watch-flag', text: f.message })))
        : h('span', { class: 'tag tag-ok', text: t('veille.allGood') })));
  });
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': captionId },
    stackTable(h('table', { class: 'table watch-coverage' },
      h('caption', { id: captionId, text: t('veille.coverageCaption') }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: t('veille.colField') }),
        h('th', { scope: 'col', text: t('veille.colOwners') }),
        h('th', { scope: 'col', class: 'num', text: t('veille.colSources') }),
        h('th', { scope: 'col', class: 'num', text: t('veille.colWaiting') }),
        h('th', { scope: 'col', class: 'num', text: t('veille.colKept') }),
        h('th', { scope: 'col', class: 'watch-flags-col', text: t('veille.colFlags') }))),
      h('tbody', {}, rows))));
}

// « Lettres de veille »: one's subscription, the archive, and (animateurs) composing one.
function digestsSection(ctx, subscription, digests) {
  const { signal } = ctx;
  const sectionId = uid('titre');
  const subTitle = uid('titre');
  const sub = createForm({
    labelledBy: subTitle,
    onSubmit: async (values) => {
      const res = await api.put('/api/watch/subscription', { frequency: values.frequency }, { signal });
      ctx.announce(t(`veille.subscribed.${res.frequency}`), 'success');
    },
    children: [
      h('h3', { id: subTitle, text: t('veille.subscriptionTitle') }),
      selectField({ label: t('veille.frequency'), name: 'frequency', value: subscription.frequency || 'none', options: [
        { value: 'none', label: t('veille.frequency.none') },
        { value: 'weekly', label: t('veille.frequency.weekly') },
        { value: 'monthly', label: t('veille.frequency.monthly') }] }),
      actions(h('button', { type: 'submit', class: 'button button-secondary', text: t('veille.subscriptionSave') })),
    ],
  }).form;
  // Each past letter opens in place (read when first opened); its period in days (`to`
  // is the instant after its last second).
  const lastDay = (to) => { const d = parseDate(to); return d ? dayDate(new Date(d.getTime() - 1000)) : ''; };
  const archiveBox = h('div', { class: 'watch-digest-archive' });
  const drawArchive = (list) => archiveBox.replaceChildren(list.length
    ? h('ul', { class: 'watch-digests' }, list.map((d) => {
      const content = h('div', { 'aria-live': 'polite' });
      const box = h('details', {},
        h('summary', {}, h('strong', { text: d.title }), ' — ', tn('veille.digestMeta', d.items, { from: dayDate(d.from), to: lastDay(d.to) })),
        content);
      box.addEventListener('toggle', async () => {
        if (!box.open || content.dataset.loaded) return;
        content.dataset.loaded = 'true';
        try {
          const full = (await api.get(`/api/watch/digests/${encodeURIComponent(d.id)}`, { signal: ctx.signal })).digest;
          content.replaceChildren(renderMarkdown(full.markdown || '', { headingOffset: 3, className: 'markdown watch-digest' }));
        } catch (err) {
          delete content.dataset.loaded;
          if (err.name !== 'AbortError') content.replaceChildren(h('p', { class: 'watch-error', text: err.message }));
        }
      });
      return h('li', {}, box);
    }))
    : h('p', { class: 'hint', text: t('veille.noDigests') }));
  drawArchive(digests);
  const children = [h('h2', { id: sectionId, text: t('veille.digestsTitle') }), sub, h('h3', { text: t('veille.archive') }), archiveBox];
  if (ctx.user && (ctx.user.role === 'animateur' || ctx.user.role === 'admin')) {
    const composeTitle = uid('titre');
    const preview = h('div', { class: 'watch-digest-preview', 'aria-live': 'polite' });
    const { form } = createForm({
      labelledBy: composeTitle,
      onSubmit: async (values, f) => {
        const body = { title: values.title || undefined, intro: values.intro || undefined,
          from: values.from || undefined, to: values.to || undefined };
        if (f.dataset.mode === 'preview') {
          const res = await api.post('/api/watch/digests/preview', body, { signal });
          preview.replaceChildren(h('p', { class: 'hint', text: tn('veille.previewCount', res.items) }),
            renderMarkdown(res.markdown, { headingOffset: 3, className: 'markdown watch-digest' }));
          return;
        }
        const res = await api.post('/api/watch/digests', { ...body, send: true }, { signal });
        ctx.announce(tn('veille.digestSent', res.digest.recipients), 'success');
        f.reset();
        preview.replaceChildren();
        // The letter just sent heads the archive at once.
        try {
          drawArchive((await api.get('/api/watch/digests', { signal })).digests || []);
        } catch (err) {
          if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
        }
      },
      children: [
        h('h3', { id: composeTitle, text: t('veille.composeTitle') }),
        inputField({ label: t('veille.digestTitle'), name: 'title', attrs: { maxlength: '200' } }),
        textareaField({ label: t('veille.digestIntro'), name: 'intro', rows: 3, attrs: { maxlength: '5000' } }),
        h('div', { class: 'watch-qualify-row' },
          inputField({ label: t('veille.digestFrom'), name: 'from', type: 'date', hint: t('veille.digestPeriodHint') }),
          inputField({ label: t('veille.digestTo'), name: 'to', type: 'date' })),
        actions(
          h('button', { type: 'submit', class: 'button button-secondary',
            onclick: (e) => { e.currentTarget.form.dataset.mode = 'preview'; } }, t('veille.digestPreview')),
          h('button', { type: 'submit', class: 'button',
            onclick: (e) => { e.currentTarget.form.dataset.mode = 'send'; } }, t('veille.digestSend'))),
        preview,
      ],
    });
    children.push(form);
  }
  // Reached from the unsubscribe page (/veille#lettres-de-veille).
  return h('section', { id: 'lettres-de-veille', 'aria-labelledby': sectionId }, children);
}

// « Mes favoris »: what the person marked as favourite in any field, newest first.
function favouritesSection(items) {
  const sectionId = uid('titre');
  return h('section', { 'aria-labelledby': sectionId },
    h('h2', { id: sectionId, text: t('veille.favouritesTitle') }),
    items.length
      ? h('ul', { class: 'watch-favourites' }, items.map((item) => {
        const link = typeof item.link === 'string' && /^https?:\/\//i.test(item.link) ? item.link : null;
        const fields = item.fields || [];
        return h('li', {},
          link ? h('a', { href: link, rel: 'noopener noreferrer', target: '_blank' }, item.title, h('span', { class: 'visually-hidden', text: t('veille.newTab') }))
            : h('span', { text: item.title }),
          h('span', { class: 'hint' }, ' — ', describeDate(item.published_at)),
          fields.length ? h('span', { class: 'hint' }, ' · ', t('veille.favouriteFields'), ' ',
            fields.map((f, i) => [i ? ', ' : '', h('a', { href: `/veille/champs/${encodeURIComponent(f.id)}`, text: f.name })])) : null);
      }))
      : h('p', { class: 'hint', text: t('veille.favouritesNone') }));
}

// Administrators create fields (the watch is split by field across the network); the
// field's page then names its owners and takes its sources.
function newFieldForm(ctx) {
  const formTitle = uid('titre');
  const { form } = createForm({
    labelledBy: formTitle,
    onSubmit: async (values, f) => {
      const res = await api.post('/api/watch/fields', {
        name: values.name, description: values.description || undefined, source_hint: values.source_hint || undefined,
      }, { signal: ctx.signal });
      draft.clear();
      f.reset();  // saved: nothing typed is left to guard
      ctx.navigate(`/veille/champs/${res.field.id}`, { flash: t('veille.fieldCreated', { name: res.field.name }), flashKind: 'success' });
    },
    children: [
      inputField({ label: t('veille.fieldName'), name: 'name', required: true, attrs: { maxlength: '120' } }),
      textareaField({ label: t('veille.fieldDescription'), name: 'description', rows: 2, attrs: { maxlength: '2000' } }),
      textareaField({ label: t('veille.fieldSourceHint'), name: 'source_hint', rows: 2, hint: t('veille.fieldSourceHintHint'),
        attrs: { maxlength: '500' } }),
      actions(h('button', { type: 'submit', class: 'button', text: t('veille.createField') })),
    ],
  });
  const draft = keepDraft(form, 'veille.new-field');
  return h('details', { class: 'watch-new-field', open: draft.restored },
    h('summary', { id: formTitle, text: t('veille.newField') }), form);
}

export async function render(ctx) {
  const { signal } = ctx;
  const [fields, coverage, subscription, digests, favourites] = await Promise.all([
    api.get('/api/watch/fields', { signal }),
    api.get('/api/watch/coverage', { signal }),
    api.get('/api/watch/subscription', { signal }),
    api.get('/api/watch/digests', { signal }),
    api.get('/api/watch/favourites', { signal }),
  ]);
  const list = (fields.fields || []).filter((f) => !f.archived);
  const headingId = uid('titre');
  const fieldsId = uid('titre');
  const coverageId = uid('titre');
  const updated = h('p', { class: 'hint' },
    t('veille.coverageRules', { stale: coverage.stale_after_days, failing: coverage.failing_after_days }));
  const page = h('section', { class: 'page page-watch area-veille', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('veille.title') }),
    h('p', { class: 'lead', text: t('veille.summary') }),
    h('section', { 'aria-labelledby': fieldsId },
      h('h2', { id: fieldsId, text: t('veille.fieldsTitle') }),
      list.length
        ? h('ul', { class: 'cards watch-fields' }, list.map(fieldCard))
        : h('p', { class: 'panel', text: t(ctx.user && ctx.user.role === 'admin' ? 'veille.noFieldsAdmin' : 'veille.noFields') }),
      ctx.user && ctx.user.role === 'admin' ? newFieldForm(ctx) : null),
    favouritesSection(favourites.items || []),
    h('section', { 'aria-labelledby': coverageId },
      h('h2', { id: coverageId, text: t('veille.coverageTitle') }),
      h('p', { text: t('veille.coverageLead') }),
      updated,
      coverageTable(coverage)),
    digestsSection(ctx, subscription, digests.digests || []));
  guardTypedText(page, ctx.signal);
  return page;
}
