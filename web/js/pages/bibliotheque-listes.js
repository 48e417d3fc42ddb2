// Two lists of the library: "Mes contributions" (every signed-in person) and the
// review queue of animateurs and administrators ("Relecture").

import { api } from '../api.js';
import { itemCard } from '../bibliotheque/common.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export function title() {
  return location.pathname.endsWith('/relecture') ? t('biblio.reviewQueue') : t('biblio.mine');
}

export async function render(ctx) {
  const review = location.pathname.endsWith('/relecture');
  const data = await api.get(review ? '/api/library/review' : '/api/library/mine', { signal: ctx.signal });
  return h('section', { class: 'page page-biblio-list area-bibliotheque' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/bibliotheque', text: t('biblio.back') })),
    h('h1', { text: review ? t('biblio.reviewQueue') : t('biblio.mine') }),
    h('p', { class: 'lead', text: review ? t('biblio.reviewLead') : t('biblio.mineLead') }),
    data.items.length
      ? h('ul', { class: 'cards' }, data.items.map((i) => itemCard(i, { snippet: false, listed: true })))
      : h('p', { class: 'empty-text' }, review ? t('biblio.reviewEmpty') : t('biblio.mineEmpty'),
        // Nothing yet: where to start.
        review ? null : [' ', h('a', { href: '/bibliotheque/proposer', text: t('biblio.mineStart') })]));
}
