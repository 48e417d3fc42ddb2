// E-mail sending (/admin/e-mails, role admin): whether SMTP is configured (and, if
// not, what to set), the outbox's counts (waiting, sent, given up) and the last
// messages that failed (GET /api/admin/mail).

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { isoDate, shortDate } from '../time.js';

export const title = 'adminMail.title';

function configuration(data) {
  const state = data.configured
    ? h('div', { class: 'status status-success mail-config' }, h('p', { text: t('adminMail.configured') }))
    : h('div', { class: 'status status-error mail-config' },
      h('p', { class: 'mail-config-title', text: t('adminMail.notConfigured') }),
      h('p', { text: t('adminMail.howTo') }));
  // Without the server's public address the messages' links cannot be followed.
  return data.links === false
    ? [state, h('div', { class: 'status status-error mail-config' },
      h('p', { class: 'mail-config-title', text: t('adminMail.noLinks') }),
      h('p', { text: t('adminMail.noLinksHowTo') }))]
    : state;
}

function counts(data, headingId) {
  const c = data.counts || {};
  return h('section', { class: 'block panel', 'aria-labelledby': headingId },
    h('h2', { id: headingId, text: t('adminMail.countsTitle') }),
    h('dl', { class: 'mail-counts' },
      ['pending', 'sent', 'failed'].map((key) => h('div', { class: `mail-count mail-count-${key}` },
        h('dt', { text: t(`adminMail.${key}`) }),
        h('dd', { text: String(Number(c[key]) || 0) })))),
    h('p', {}, h('a', { href: '/admin/taches', text: t('adminMail.jobLink') })));
}

function problems(data, captionId) {
  const list = Array.isArray(data.problems) ? data.problems : [];
  const hintId = `${captionId}-aide`;
  return h('div', {
    class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: '0',
  },
  h('table', { class: 'table table-mail', 'aria-describedby': hintId },
    h('caption', { id: captionId },
      t('adminMail.problemsCaption'),
      h('span', { class: 'caption-hint', id: hintId, text: t('adminMail.problemsHint') })),
    h('thead', {}, h('tr', {},
      ['colTo', 'colSubject', 'colAttempts', 'colError', 'colCreated'].map((key) => h('th', {
        scope: 'col', class: key === 'colAttempts' ? 'cell-number' : null, text: t(`adminMail.${key}`),
      })))),
    h('tbody', {}, list.length
      ? list.map((p) => h('tr', {},
        h('th', { scope: 'row', class: 'cell-email', text: p.to }),
        h('td', { class: 'cell-wrap', text: p.subject }),
        h('td', { class: 'cell-number', text: String(p.attempts ?? 0) }),
        h('td', { class: 'cell-wrap', text: p.error || '—' }),
        h('td', {}, shortDate(p.created_at)
          ? h('time', { datetime: isoDate(p.created_at), text: shortDate(p.created_at) }) : '—')))
      : h('tr', {}, h('td', { colspan: '5', class: 'empty', text: t('adminMail.noProblem') })))));
}

export async function render(ctx) {
  const { signal } = ctx;
  const countsId = uid('titre');
  const captionId = uid('legende');
  const body = h('div', { class: 'mail-state' });

  function draw(data) {
    body.replaceChildren(...[configuration(data)].flat(), counts(data, countsId), problems(data, captionId));
  }

  draw(await api.get('/api/admin/mail', { signal }));

  const refresh = h('button', {
    type: 'button', class: 'button button-secondary', text: t('adminMail.refresh'),
    onclick: async () => {
      try {
        draw(await api.get('/api/admin/mail', { signal }));
        ctx.announce(t('adminMail.refreshed'), 'info');
      } catch (err) {
        if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      }
    },
  });

  return h('section', { class: 'page page-admin' },
    h('div', { class: 'page-head' },
      h('h1', { text: t('adminMail.title') }),
      h('div', { class: 'page-actions' }, refresh)),
    h('p', { class: 'lead', text: t('adminMail.intro') }),
    body);
}
