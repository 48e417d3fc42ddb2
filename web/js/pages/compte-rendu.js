// The report of a workshop (/ateliers/:id/compte-rendu): the Markdown report
// rendered safely, download links, and for facilitators "Générer maintenant".
// Open to the workshop's guests too.

import { api } from '../api.js';
import { apiPath, boardPath, formatDate, workshopPath } from '../ateliers/common.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { renderMarkdown } from '../markdown.js';

let pageTitle = '';
export const title = () => pageTitle || t('report.title');

const DOWNLOADS = [
  { file: 'report.md', key: 'report.downloadMd', download: true },
  { file: 'report.html', key: 'report.downloadHtml', download: false },
  { file: 'actions.csv', key: 'report.downloadActions', download: true },
  { file: 'indicators.csv', key: 'report.downloadIndicators', download: true },
];

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
  let report = await api.get(apiPath(id, '/report'), { signal }).then((d) => d.report)
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
    h('ul', { class: 'download-list' }, DOWNLOADS.map((d) => h('li', {},
      h('a', {
        href: apiPath(id, `/${d.file}`), download: d.download ? d.file : null,
        target: d.download ? null : '_blank', rel: d.download ? null : 'noopener',
        text: t(d.key),
      })))));

  function show() {
    if (!report) {
      meta.textContent = '';
      downloads.hidden = true;
      body.replaceChildren(h('p', { class: 'lead', text: t('report.none') }));
      return;
    }
    downloads.hidden = false;
    meta.textContent = t('report.generatedAt', { date: formatDate(report.generated_at) });
    body.replaceChildren(h('article', { class: 'panel report' },
      renderMarkdown(report.markdown, { headingOffset: 1 })));
  }
  show();

  let busy = false;
  const generate = facilitator ? h('button', {
    type: 'button', class: 'button', text: t('report.generate'),
    onclick: async () => {
      if (busy) return;
      busy = true;
      try {
        report = (await api.post(apiPath(id, '/report'), {}, { signal })).report;
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

  return h('section', { class: 'page page-report area-ateliers' },
    h('p', { class: 'breadcrumb' }, ctx.user
      ? h('a', { href: workshopPath(id), text: t('report.back', { title: workshop.title }) })
      : h('a', { href: boardPath(id), text: t('report.backBoard') })),
    h('h1', { text: pageTitle }),
    meta,
    generate ? h('p', { class: 'page-actions' }, generate, file, libraryLink) : null,
    downloads,
    body);
}
