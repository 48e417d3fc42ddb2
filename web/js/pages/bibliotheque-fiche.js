// One library item (/bibliotheque/:id): its text (Markdown rendered inert), metadata,
// attachments to download with their thumbnails (PDF first page, images), the outline of
// office files (slides, sheets, headings) and a PDF reader (pages drawn by the server,
// each with its text), version history (authors and reviewers), review actions, and
// "Dans le même esprit" (similar items), and what changed between two versions (authors
// and reviewers: since the version online, or against the one asked with ?comparer=N).

import { api } from '../api.js';
import {
  formatDate, formatSize, itemCard, kindBadge, missionLabel, phaseLabel,
} from '../bibliotheque/common.js';
import { openDialog, confirmDialog } from '../dialog.js';
import { append, h, replace, srOnly, uid } from '../dom.js';
import { createForm, keepDraft, textareaField, actions, submitButton } from '../forms.js';
import { t, tn } from '../i18n.js';
import { renderMarkdown } from '../markdown.js';
import { labels } from '../meta.js';

// The fiche's own title once it is read (the tab and the history show it).
let pageTitle = '';
export const title = () => pageTitle || t('biblio.itemTitle');

function metaRow(label, value) {
  if (!value || (Array.isArray(value) && !value.length)) return null;
  return [h('dt', { text: label }), h('dd', { text: Array.isArray(value) ? value.join(', ') : value })];
}

const OUTLINE_LABEL = { slides: 'biblio.outline.slides', sheet: 'biblio.outline.sheet', document: 'biblio.outline.document' };

/** The outline of an office file: slide titles, sheet names or headings. */
function outline(a) {
  if (!Array.isArray(a.outline) || !a.outline.length || !OUTLINE_LABEL[a.kind]) return null;
  const id = uid('plan');
  return h('div', { class: 'attachment-outline' },
    h('p', { id, class: 'outline-label', text: t(OUTLINE_LABEL[a.kind], { n: a.outline.length }) }),
    h('ol', { class: 'outline', 'aria-labelledby': id }, a.outline.map((entry) => h('li', { text: entry }))));
}

/**
 * Reads a PDF in the page: each page drawn by the server as an image whose text
 * alternative is the page's own text (below it, in a disclosure). Previous/next are
 * buttons; the arrow keys turn pages too while focus is in the reader.
 */
function pdfReader(a, signal, announce) {
  const id = uid('lecture');
  let page = 1;
  let total = a.pages || null;
  let loading = null;
  const position = h('p', { class: 'pdf-position', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'button button-secondary', text: t('biblio.prevPage') });
  const next = h('button', { type: 'button', class: 'button button-secondary', text: t('biblio.nextPage') });
  const figure = h('figure', { class: 'pdf-page' });
  const reader = h('section', { id, class: 'pdf-reader', hidden: true, 'aria-label': t('biblio.readerLabel', { name: a.name }) },
    h('div', { class: 'pdf-toolbar' }, prev, position, next), figure);
  const toggle = h('button', {
    type: 'button', class: 'button button-secondary', 'aria-expanded': 'false', 'aria-controls': id, text: t('biblio.readPdf'),
  });

  function width() {
    const css = Math.max(200, reader.clientWidth || 800);
    const px = Math.ceil((css * (window.devicePixelRatio || 1)) / 200) * 200;
    return Math.min(1600, Math.max(200, px));
  }

  async function show(n) {
    if (loading) loading.abort();
    const mine = new AbortController();
    loading = mine;
    signal?.addEventListener('abort', () => mine.abort(), { once: true });
    position.textContent = t('biblio.pageLoading');
    try {
      const version = new URL(a.url, location.origin).searchParams.get('version');
      const query = new URLSearchParams({ width: String(width()) });
      if (version) query.set('version', version);
      // A page drawn for this person a moment ago may still hold their turn (429): try
      // again shortly rather than say so — the server draws one page at a time per person.
      let info;
      for (let attempt = 0; ; attempt += 1) {
        try {
          info = await api.get(`${a.pages_url}${n}?${query}`, { signal: mine.signal });
          break;
        } catch (err) {
          if (err?.status !== 429 || attempt >= 20) throw err;
          await new Promise((resolve) => { setTimeout(resolve, 500); });
          if (mine.signal.aborted) return;
        }
      }
      page = info.page;
      total = info.pages;
      const textId = uid('texte-page');
      const text = String(info.text || '').trim();
      replace(figure,
        h('img', { src: info.image, alt: info.alt, width: info.width, height: info.height, class: 'pdf-page-image' }),
        h('details', { class: 'pdf-text' },
          h('summary', { text: t('biblio.pageText') }),
          h('div', { id: textId, class: 'pdf-text-body', text: text || t('biblio.pageNoText') })));
      position.textContent = t('biblio.pageOf', { n: page, total });
      // A button that becomes disabled drops the focus: it moves to the other one.
      const focused = document.activeElement;
      prev.disabled = page <= 1;
      next.disabled = page >= total;
      if ((focused === prev && prev.disabled && !next.disabled) || (focused === next && next.disabled && !prev.disabled)) {
        (focused === prev ? next : prev).focus();
      }
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      position.textContent = t('biblio.pageOf', { n: page, total: total ?? '?' });
      announce(err.message, 'error');
    }
  }

  prev.addEventListener('click', () => { if (page > 1) show(page - 1); });
  next.addEventListener('click', () => { if (!total || page < total) show(page + 1); });
  reader.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLElement && e.target.closest('details')) return;
    if (e.key === 'ArrowLeft' && page > 1) { e.preventDefault(); show(page - 1); }
    if (e.key === 'ArrowRight' && (!total || page < total)) { e.preventDefault(); show(page + 1); }
  });
  toggle.addEventListener('click', () => {
    const open = reader.hidden;
    reader.hidden = !open;
    // A disclosure: its name stays, aria-expanded says whether the reader is open.
    toggle.setAttribute('aria-expanded', String(open));
    if (open && !figure.firstChild) show(page);
  });
  return [toggle, reader];
}

function attachmentEntry(a, signal, announce) {
  const details = [formatSize(a.size)];
  if (a.kind === 'pdf' && a.pages) details.push(t('biblio.pagesCount', { n: a.pages }));
  return h('li', { class: `attachment attachment-${a.kind || 'file'}` },
    h('p', { class: 'attachment-name' },
      h('a', { href: a.url, download: a.name, text: a.name }), ' ',
      h('span', { class: 'muted', text: `(${details.join(' · ')})` })),
    a.preview ? h('img', { class: 'attachment-thumb', src: a.preview, alt: a.preview_alt }) : null,
    a.kind === 'pdf' && a.pages_url ? h('div', { class: 'attachment-reader' }, pdfReader(a, signal, announce)) : null,
    outline(a));
}

const TOC_MIN_SECTIONS = 4; // a short fiche reads without one

/** The text's own sections, as anchors: « Sommaire » of a long guide (none for a short one). */
function tableOfContents(body) {
  // The sections are the text's highest headings — the next ones when it opens on a single
  // heading (its title said again).
  const headings = [...body.querySelectorAll(':scope > h2, :scope > h3, :scope > h4')];
  const levels = [...new Set(headings.map((x) => x.tagName))].sort();
  const level = levels.length > 1 && headings.filter((x) => x.tagName === levels[0]).length === 1 ? levels[1] : levels[0];
  const sections = headings.filter((x) => x.tagName === level);
  if (sections.length < TOC_MIN_SECTIONS) return null;
  const used = new Set();
  for (const section of sections) {
    const base = `section-${section.textContent.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
      .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'partie'}`;
    let slug = base;
    for (let n = 2; used.has(slug) || document.getElementById(slug); n += 1) slug = `${base}-${n}`;
    used.add(slug);
    section.id = slug;
  }
  const titleId = uid('sommaire');
  return h('nav', { class: 'toc', 'aria-labelledby': titleId },
    h('h2', { id: titleId, text: t('biblio.toc') }),
    h('ol', {}, sections.map((section) => h('li', {}, h('a', { href: `#${section.id}`, text: section.textContent })))));
}

// ------------------------------------------------------------------ changes between versions

const DIFF_CONTEXT = 2;  // unchanged lines kept on each side of a change
const DIFF_MIN_FOLD = 3; // fewer unchanged lines are shown: a button would take their room

/**
 * A removed or added stretch of text: <del>/<ins> (struck through or underlined, not only
 * coloured), its start and end said to screen readers. A stretch of blanks alone shows its
 * line breaks (↵), else a removed empty line would not be seen.
 */
function change(op, text) {
  const tag = op === 'delete' ? 'del' : 'ins';
  const content = text.trim() ? text
    : text.split('\n').flatMap((part, i) => (i ? [h('span', { class: 'diff-eol', 'aria-hidden': 'true', text: '↵' }), `\n${part}`] : [part]));
  return h(tag, {}, srOnly(t(`biblio.diff.${tag === 'del' ? 'delStart' : 'insStart'}`)), content,
    srOnly(t(`biblio.diff.${tag === 'del' ? 'delEnd' : 'insEnd'}`)));
}

/** The runs of the body cut into lines, each a list of { op, text }, its line break included. */
function diffLines(runs) {
  const lines = [];
  let line = [];
  for (const run of runs) {
    const parts = String(run.text ?? '').split('\n');
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const text = last ? part : `${part}\n`;
      if (text) line.push({ op: run.op, text });
      if (!last) {
        lines.push(line);
        line = [];
      }
    });
  }
  if (line.length) lines.push(line);
  return lines;
}

const piece = (p) => (p.op === 'delete' || p.op === 'insert' ? change(p.op, p.text) : p.text);

/** Unchanged lines folded behind a button that puts them back in place (and the focus on them). */
function foldedLines(lines) {
  const button = h('button', {
    type: 'button', class: 'diff-fold', text: tn('biblio.diff.fold', lines.length, { n: lines.length }),
  });
  button.addEventListener('click', () => {
    const shown = h('span', { class: 'diff-unfolded', tabindex: '-1' }, lines.flat().map((p) => p.text).join(''));
    button.replaceWith(shown);
    shown.focus();
  });
  return button;
}

/** The Markdown source with its changes, unchanged lines folded away from them. */
function diffBody(runs) {
  const lines = diffLines(Array.isArray(runs) ? runs : []);
  const keep = lines.map(() => false);
  lines.forEach((line, i) => {
    if (!line.some((p) => p.op !== 'equal')) return;
    for (let j = Math.max(0, i - DIFF_CONTEXT); j <= Math.min(lines.length - 1, i + DIFF_CONTEXT); j += 1) keep[j] = true;
  });
  const box = h('div', { class: 'diff-body' });
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j < lines.length && keep[j] === keep[i]) j += 1;
    const group = lines.slice(i, j);
    if (keep[i] || group.length < DIFF_MIN_FOLD) append(box, group.flat().map(piece));
    else box.append(foldedLines(group));
    i = j;
  }
  return box;
}

const FIELD_LISTS = { phases: labels.phase, missions: labels.mission };

/** A field's value as read: a region's name, a date in French, « (vide) » for nothing. */
function formatValue(field, value) {
  if (field === 'region') return value ? labels.region(value) : t('biblio.national');
  if (value === null || value === undefined || value === '') return t('biblio.diff.empty');
  if (field === 'date') return formatDate(String(value));
  return String(value);
}

/** One changed field as its term and its description(s). */
function fieldRows(f) {
  const row = (label, ...content) => [h('dt', { text: label }), h('dd', {}, content)];
  const replaced = (from, to) => [
    h('del', {}, srOnly(t('biblio.diff.before')), from),
    h('span', { class: 'diff-arrow', 'aria-hidden': 'true', text: ' → ' }),
    h('ins', {}, srOnly(t('biblio.diff.after')), to)];
  const list = (items) => (items.length === 1 ? items[0] : h('ul', { class: 'diff-list' }, items.map((x) => h('li', {}, x))));
  const rows = [];
  if (['title', 'summary', 'author_name', 'date', 'region'].includes(f.field)) {
    rows.push(row(t(`biblio.diff.field.${f.field}`), replaced(formatValue(f.field, f.from), formatValue(f.field, f.to))));
  } else if (FIELD_LISTS[f.field]) {
    for (const [key, codes] of [['Added', f.added], ['Removed', f.removed]]) {
      if (!Array.isArray(codes) || !codes.length) continue;
      rows.push(row(tn(`biblio.diff.${f.field}${key}`, codes.length), codes.map(FIELD_LISTS[f.field]).join(t('common.listSeparator'))));
    }
  } else if (f.field === 'attachments') {
    for (const [key, files] of [['Added', f.added], ['Removed', f.removed]]) {
      if (!Array.isArray(files) || !files.length) continue;
      rows.push(row(tn(`biblio.diff.attachments${key}`, files.length), list(files.map((x) => x.name))));
    }
    if (Array.isArray(f.renamed) && f.renamed.length) {
      rows.push(row(tn('biblio.diff.attachmentsRenamed', f.renamed.length), list(f.renamed.map((x) => replaced(x.from, x.to)))));
    }
  }
  return rows;
}

/** What changed from one version to the next: the fields, then the text (with a legend). */
function diffView(diff) {
  const fields = (Array.isArray(diff.fields) ? diff.fields : []).flatMap(fieldRows);
  if (!fields.length && !diff.body_changed) return h('p', { class: 'diff-none', text: t('biblio.diff.none') });
  const fieldsId = uid('diff-champs');
  const bodyId = uid('diff-texte');
  return [
    fields.length ? h('div', { class: 'diff-part' },
      h('h3', { id: fieldsId, text: t('biblio.diff.fieldsTitle') }),
      h('dl', { class: 'diff-fields', 'aria-labelledby': fieldsId }, fields)) : null,
    h('div', { class: 'diff-part' },
      h('h3', { id: bodyId, text: t('biblio.diff.bodyTitle') }),
      diff.body_changed ? [
        h('p', { class: 'diff-legend' }, t('biblio.diff.legend'), ' ',
          h('span', { class: 'diff-key diff-key-del', text: t('biblio.diff.legendDel') }), ' ',
          h('span', { class: 'diff-key diff-key-ins', text: t('biblio.diff.legendIns') })),
        diffBody(diff.body),
      ] : h('p', { text: t('biblio.diff.bodySame') })),
  ];
}

/**
 * The section « Modifications depuis… » of the version shown: against `?comparer=N` when
 * asked, else against the version online when the one shown is newer (a revision waiting
 * for review or sent back). Null when there is nothing to compare. It loads on its own:
 * the page does not wait for it.
 */
function changesSection(item, signal) {
  const asked = new URLSearchParams(location.search).get('comparer');
  let from = null;
  let heading;
  if (asked !== null) {
    const n = /^\d{1,9}$/.test(asked) ? Number(asked) : 0;
    // Checked here: a version the fiche does not have is said without asking the server.
    if (n >= 1 && n <= item.latest_version && n !== item.version) from = n;
    heading = from ? t('biblio.diff.since', { v: from }) : t('biblio.diff.heading');
  } else if (item.published_version && item.version > item.published_version) {
    from = item.published_version;
    heading = t('biblio.diff.sincePublished', { v: from });
  } else {
    return null;
  }
  const headingId = uid('modifications');
  const content = h('div', { class: 'diff-content' });
  const headingEl = h('h2', { id: headingId, text: heading });
  const section = h('section', { id: 'modifications', class: 'block diff', 'aria-labelledby': headingId }, headingEl, content);
  if (!from) {
    replace(content, h('p', { class: 'notice notice-error', text: t('biblio.diff.badVersion') }));
    return section;
  }

  async function load() {
    section.setAttribute('aria-busy', 'true');
    replace(content, h('p', { class: 'muted', text: t('biblio.diff.loading') }));
    try {
      const { diff } = await api.get(`/api/library/items/${item.id}/diff?from=${from}&to=${item.version}`, { signal });
      replace(content, diffView(diff));
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      const retry = h('button', { type: 'button', class: 'button button-secondary button-small', text: t('common.retry') });
      // The button goes with the message: the focus waits on the section's title.
      retry.addEventListener('click', () => {
        headingEl.setAttribute('tabindex', '-1');
        headingEl.focus();
        load();
      });
      replace(content, h('div', { class: 'notice notice-error', role: 'alert' },
        h('p', { text: t('biblio.diff.error', { message: err.message }) }), retry));
    } finally {
      section.removeAttribute('aria-busy');
    }
  }
  load();
  return section;
}

export async function render(ctx) {
  const id = ctx.params.id;
  if (!/^\d{1,12}$/.test(id)) {
    const e = new Error(t('biblio.notFound'));
    e.status = 404;  // as for an id no fiche has: the same page, no « Réessayer »
    throw e;
  }
  const version = new URLSearchParams(location.search).get('version');
  const [{ item }, similar, glossary] = await Promise.all([
    api.get(`/api/library/items/${id}${version ? `?version=${encodeURIComponent(version)}` : ''}`, { signal: ctx.signal }),
    api.get(`/api/library/items/${id}/similar`, { signal: ctx.signal }).catch(() => ({ items: [] })),
    api.get('/api/glossary', { signal: ctx.signal }).catch(() => ({ entries: [] })),
  ]);
  // The acronyms the fiche uses, each linked to its entry in the glossary.
  const words = new Set(`${item.title} ${item.summary} ${item.body}`.match(/[A-Z][A-Z0-9]{1,9}/g) || []);
  const acronyms = glossary.entries.filter((e) => words.has(e.term));
  const acronymsId = uid('sigles');
  pageTitle = item.title;

  const reload = (flash) => ctx.navigate(`/bibliotheque/${item.id}`, { replace: true, flash });

  async function publish() {
    await api.post(`/api/library/items/${item.id}/publish`, { version: item.version });
    reload(t('biblio.published'));
  }

  async function reject() {
    // The note typed is kept until it is sent: closing the dialog (Escape, « Annuler ») or
    // reloading the page and opening it again brings it back.
    let draft = null;
    const done = await openDialog({
      title: t('biblio.rejectTitle'),
      signal: ctx.signal,
      body: (close, titleId) => {
        const { form } = createForm({
          labelledBy: titleId,
          onSubmit: async (values) => {
            await api.post(`/api/library/items/${item.id}/reject`, { note: values.note, version: item.version });
            draft.clear();
            close(true);
          },
          children: [
            textareaField({ label: t('biblio.rejectNote'), name: 'note', required: true, rows: 4, attrs: { maxlength: '1000' } }),
            actions(submitButton(t('biblio.reject'), 'button button-danger'),
              h('button', { type: 'button', class: 'button button-secondary', text: t('common.cancel'), onclick: () => close(false) })),
          ],
        });
        draft = keepDraft(form, `biblio-relecture-${item.id}-v${item.version}`);
        return form;
      },
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

  // Only the author and reviewers have the history (and the versions to compare).
  const changes = item.history.length ? changesSection(item, ctx.signal) : null;
  const body = renderMarkdown(item.body, { headingOffset: 1, className: 'markdown item-body' });
  const toc = tableOfContents(body);

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
    changes,
    toc,
    body,
    item.attachments.length ? h('section', { class: 'block', 'aria-labelledby': attachmentsId },
      h('h2', { id: attachmentsId, text: t('biblio.attachments') }),
      h('ul', { class: 'attachments' }, item.attachments.map((a) => attachmentEntry(a, ctx.signal, ctx.announce)))) : null,
    item.history.length ? h('section', { class: 'block', 'aria-labelledby': historyId },
      h('h2', { id: historyId, text: t('biblio.history') }),
      h('ol', { class: 'history', reversed: true }, item.history.map((v) => h('li', {},
        h('a', { href: `/bibliotheque/${item.id}?version=${v.version}`, text: t('biblio.versionN', { v: v.version }) }),
        ` — ${formatDate(v.at)}${v.by ? ` — ${v.by}` : ''}${v.note ? ` — ${v.note}` : ''}`,
        v.published ? ' ' : null,
        v.published ? h('span', { class: 'badge state-published', text: t('biblio.state.published') }) : null,
        v.sent_back?.note ? h('p', { class: 'history-sent-back', text: t('biblio.historySentBack', { note: v.sent_back.note, date: formatDate(v.sent_back.at) }) }) : null,
        v.version > 1 ? h('a', {
          class: 'history-compare', href: `/bibliotheque/${item.id}?version=${v.version}&comparer=${v.version - 1}#modifications`,
          text: t('biblio.diff.compare'),
        }) : null)))) : null,
    acronyms.length ? h('section', { class: 'block', 'aria-labelledby': acronymsId },
      h('h2', { id: acronymsId, text: t('glossary.inItem') }),
      h('ul', { class: 'acronyms' }, acronyms.map((e) => h('li', {},
        h('a', { href: `/bibliotheque/glossaire#sigle-${e.term}` }, h('abbr', { text: e.term })),
        `\u00A0: ${e.forms[0] || ''}`))),
      h('p', {}, h('a', { href: '/bibliotheque/glossaire', text: t('glossary.all') }))) : null,
    similar.items.length ? h('section', { class: 'block', 'aria-labelledby': similarId },
      h('h2', { id: similarId, text: t('biblio.similar') }),
      h('ul', { class: 'cards' }, similar.items.map((s) => itemCard(s, { snippet: false, level: 3 })))) : null);
}
