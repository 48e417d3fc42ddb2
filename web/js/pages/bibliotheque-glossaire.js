// The glossary (/bibliotheque/glossaire): every acronym of the library's content, its
// spelled-out forms and a line of explanation (GET /api/glossary), filtered as you type.
// Each entry has an anchor (#sigle-CPTS) that item pages link to.

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';

export const title = 'glossary.title';

/** The anchor of an acronym's entry. */
export const glossaryAnchor = (term) => `sigle-${term}`;

function fold(s) {
  return String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

export async function render(ctx) {
  const { entries } = await api.get('/api/glossary', { signal: ctx.signal });
  const filterId = uid('filtre');
  const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const list = h('dl', { class: 'glossary' });
  const input = h('input', { id: filterId, type: 'search', autocomplete: 'off', 'aria-describedby': `${filterId}-aide` });
  const draw = () => {
    const q = fold(input.value.trim());
    const shown = entries.filter((e) => !q || fold(`${e.term} ${e.forms.join(' ')} ${e.explanation}`).includes(q));
    list.replaceChildren(...shown.flatMap((e) => [
      h('dt', { id: glossaryAnchor(e.term), tabindex: '-1' }, h('abbr', { title: e.forms[0] || null, text: e.term })),
      h('dd', {},
        h('p', { class: 'glossary-forms', text: e.forms.join(' ; ') }),
        e.explanation ? h('p', { text: e.explanation }) : null),
    ]));
    // Nothing found: the status says it (the list holds only terms, never a message).
    status.textContent = !shown.length ? t('glossary.none')
      : q ? t(shown.length === 1 ? 'glossary.countOne' : 'glossary.count', { n: shown.length }) : '';
    list.hidden = !shown.length;
  };
  input.addEventListener('input', draw, { signal: ctx.signal });
  draw();
  // Opened at an entry (#sigle-ACI): the router shows and focuses it once the page is in.
  return h('section', { class: 'page area-bibliotheque' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/bibliotheque', text: t('biblio.back') })),
    h('h1', { text: t('glossary.title') }),
    h('p', { class: 'lead', text: t('glossary.lead') }),
    h('div', { class: 'field' },
      h('label', { for: filterId, text: t('glossary.filter') }),
      h('p', { id: `${filterId}-aide`, class: 'hint', text: t('glossary.filterHint') }),
      input),
    status,
    list);
}
