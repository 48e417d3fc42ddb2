// The report of a workshop (/ateliers/:id/compte-rendu): the Markdown report
// rendered safely, download links (PDF, ODT, HTML, CSV, Markdown), and for facilitators
// "Générer maintenant", "Modifier" (the text with a live preview, saved from the version
// it started from) and "Publier dans la bibliothèque". Open to the workshop's guests too.

import { api } from '../api.js';
import { apiPath, boardPath, formatDate, workshopPath } from '../ateliers/common.js';
import { confirmDialog } from '../dialog.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { guardLeaving } from '../leave-guard.js';
import { renderMarkdown } from '../markdown.js';

let pageTitle = '';
export const title = () => pageTitle || t('report.title');

// The formats health professionals open first (PDF, then ODT to rework it); Markdown,
// jargon to most of them, last.
const DOWNLOADS = [
  { file: 'report.pdf', key: 'report.downloadPdf', download: true },
  { file: 'report.odt', key: 'report.downloadOdt', download: true },
  { file: 'report.html', key: 'report.downloadHtml', download: false },
  { file: 'actions.csv', key: 'report.downloadActions', download: true },
  { file: 'indicators.csv', key: 'report.downloadIndicators', download: true, indicators: true },
  { file: 'report.md', key: 'report.downloadMd', download: true },
];

/**
 * Whether the workshop's plan has indicators to export: indicators.csv lists the notes of
 * the column « indicateur » (docs/api.md), so without such a column it is a header alone.
 * A plan not given (an older answer) keeps the link.
 */
function hasIndicators(workshop) {
  if (!Array.isArray(workshop.phases)) return true;
  return workshop.phases.some((p) => Array.isArray(p?.columns) && p.columns.some((c) => c?.key === 'indicateur'));
}

export async function render(ctx) {
  const { id } = ctx.params;
  const { signal } = ctx;
  let workshop;
  try {
    workshop = (await api.get(apiPath(id), { signal, quiet401: true })).workshop;
  } catch (err) {
    if (err.status === 401 && !ctx.user) {
      ctx.requireLogin();
      throw Object.assign(new Error('redirect'), { name: 'AbortError' });
    }
    throw err;
  }
  // No report yet (the workshop says so): nothing to ask for.
  let report = !workshop.report_generated_at ? null : await api.get(apiPath(id, '/report'), { signal }).then((d) => d.report)
    .catch((err) => {
      if (err.status === 404) return null;
      throw err;
    });
  pageTitle = t('report.heading', { title: workshop.title });

  const facilitator = workshop.my_role === 'facilitator';
  const body = h('div', { class: 'report-body' });
  const meta = h('p', { class: 'hint' });
  const downloadsId = uid('titre');
  const downloads = h('section', { class: 'block', 'aria-labelledby': downloadsId },
    h('h2', { id: downloadsId, text: t('report.downloads') }),
    h('ul', { class: 'download-list' }, DOWNLOADS.filter((d) => !d.indicators || hasIndicators(workshop)).map((d) => h('li', {},
      h('a', {
        href: apiPath(id, `/${d.file}`), download: d.download ? d.file : null,
        target: d.download ? null : '_blank', rel: d.download ? null : 'noopener',
        text: t(d.key),
      })))));

  const outdated = h('p', { class: 'notice notice-info', role: 'status', hidden: true });
  function show() {
    // Editing and filing need a report: shown once there is one.
    for (const b of [edit, file]) if (b) b.hidden = !report;
    if (!report) {
      meta.textContent = '';
      downloads.hidden = true;
      body.replaceChildren(h('p', { class: 'lead', text: t(facilitator ? 'report.noneFacilitator' : 'report.none') }));
      return;
    }
    downloads.hidden = false;
    meta.textContent = t('report.generatedAt', { date: formatDate(report.generated_at) })
      + (report.edited_at ? ` ${t('report.editedBy', { name: report.edited_by || '—', date: formatDate(report.edited_at) })}` : '');
    // The board changed after it (a workshop reopened and written in): said, with what to do.
    outdated.hidden = !report.outdated;
    outdated.textContent = report.outdated ? t(facilitator ? 'report.outdatedFacilitator' : 'report.outdated') : '';
    body.replaceChildren(h('article', { class: 'panel report' },
      renderMarkdown(report.markdown, { headingOffset: 1 })));
  }

  // The editor: the report's Markdown and its preview side by side (one above the other
  // on a phone). Leaving with unsaved text asks first; a refused save keeps the text.
  let editing = null;
  guardLeaving(() => Boolean(editing && editing.area.value !== editing.base), signal);
  function closeEditor() {
    editing = null;
    editorBox.replaceChildren();
    editorBox.hidden = true;
    body.hidden = false;
    if (edit) edit.hidden = false;
  }
  function openEditor() {
    if (!report || editing) return;
    const areaId = uid('texte');
    const helpId = uid('aide');
    const previewId = uid('apercu');
    const area = h('textarea', {
      id: areaId, class: 'report-editor-text', rows: '24', spellcheck: 'true', lang: 'fr',
      'aria-describedby': helpId,
    });
    area.value = report.markdown;
    const preview = h('div', { class: 'report-preview report' });
    const draw = () => preview.replaceChildren(renderMarkdown(area.value, { headingOffset: 1 }));
    let pending = 0;
    area.addEventListener('input', () => {
      clearTimeout(pending);
      pending = setTimeout(draw, 200);
    }, { signal });
    draw();
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const save = h('button', {
      type: 'submit', class: 'button', text: t('report.save'),
    });
    const cancel = h('button', {
      type: 'button', class: 'button button-secondary', text: t('report.cancel'),
      onclick: () => {
        closeEditor();
        edit?.focus();
      },
    });
    const form = h('form', {
      class: 'report-editor', 'aria-labelledby': `${areaId}-titre`,
      onsubmit: async (e) => {
        e.preventDefault();
        if (busy) return;
        busy = true;
        error.hidden = true;
        try {
          const data = await api.put(apiPath(id, '/report'), { markdown: area.value, version: editing.version }, { signal });
          report = data.report;
          closeEditor();
          show();
          ctx.announce(t('report.saved'), 'success');
          edit?.focus();
        } catch (err) {
          if (err.name === 'AbortError') return;
          error.textContent = err.code === 'compte_rendu_modifie' ? t('report.changed') : err.message;
          error.hidden = false;
          area.focus();
        } finally {
          busy = false;
        }
      },
    },
    h('h2', { id: `${areaId}-titre`, text: t('report.editTitle') }),
    h('p', { id: helpId, class: 'hint', text: t('report.editHelp') }),
    h('div', { class: 'report-editor-panes' },
      h('div', { class: 'field' }, h('label', { for: areaId, text: t('report.editLabel') }), area),
      h('section', { class: 'report-preview-pane', 'aria-labelledby': previewId, tabindex: '0' },
        h('h3', { id: previewId, text: t('report.preview') }), preview)),
    error,
    h('p', { class: 'page-actions' }, save, cancel));
    editing = { area, base: report.markdown, version: report.version };
    editorBox.replaceChildren(form);
    editorBox.hidden = false;
    body.hidden = true;
    if (edit) edit.hidden = true;
    area.focus();
  }
  const editorBox = h('div', { class: 'panel', hidden: true });

  let busy = false;
  const generate = facilitator ? h('button', {
    type: 'button', class: 'button', text: t('report.generate'),
    onclick: async () => {
      if (busy) return;
      if (editing && editing.area.value !== editing.base) {
        editing.area.focus();
        ctx.announce(t('report.regenerateText'), 'error');
        return;
      }
      if (report?.edited_at && !(await confirmDialog({
        title: t('report.regenerateTitle'), text: t('report.regenerateText'),
        confirmLabel: t('report.regenerateConfirm'), danger: true, signal,
      }))) return;
      busy = true;
      try {
        report = (await api.post(apiPath(id, '/report'), {}, { signal })).report;
        if (editing) closeEditor();
        show();
        ctx.announce(t('report.generated'), 'success');
      } catch (err) {
        if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      } finally {
        busy = false;
      }
    },
  }) : null;

  // Facilitators file the report in the library (a new version when filed before).
  const file = facilitator && ctx.user ? h('button', {
    type: 'button', class: 'button button-secondary', text: t('report.toLibrary'),
    onclick: async () => {
      if (busy) return;
      if (!report) {
        ctx.announce(t('report.toLibraryNone'), 'error');
        return;
      }
      // The report names the people present, guests included: said before it leaves the
      // workshop for every account of the network.
      if (!(await confirmDialog({
        title: t('report.toLibraryTitle'), text: t('report.toLibraryText'),
        confirmLabel: t('report.toLibraryConfirm'), signal,
      }))) return;
      busy = true;
      try {
        const filed = (await api.post(apiPath(id, '/report/library'), {}, { signal })).item;
        ctx.announce(t(filed.state === 'published' ? 'report.toLibraryPublished' : 'report.toLibraryPending'), 'success');
        libraryLink.replaceChildren(h('a', { href: `/bibliotheque/${filed.id}`, text: t('report.toLibraryOpen') }));
      } catch (err) {
        if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      } finally {
        busy = false;
      }
    },
  }) : null;
  const libraryLink = h('span', { class: 'library-link' });
  const edit = facilitator ? h('button', {
    type: 'button', class: 'button button-secondary', text: t('report.edit'),
    onclick: () => {
      if (!report) {
        ctx.announce(t('report.toLibraryNone'), 'error');
        return;
      }
      openEditor();
    },
  }) : null;

  show();
  return h('section', { class: 'page page-report area-ateliers' },
    h('p', { class: 'breadcrumb' }, ctx.user
      ? h('a', { href: workshopPath(id), text: t('report.back', { title: workshop.title }) })
      : h('a', { href: boardPath(id), text: t('report.backBoard') })),
    h('h1', { text: pageTitle }),
    meta,
    outdated,
    generate ? h('p', { class: 'page-actions' }, generate, edit, file, libraryLink) : null,
    downloads,
    editorBox,
    body);
}
