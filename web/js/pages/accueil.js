// Home page (/): welcome and one card per area of Relais.

import { h, uid } from '../dom.js';
import { t } from '../i18n.js';

export const title = 'home.title';

// The areas, in menu order. A later feature can add a live count or the latest item to
// its card.
const AREAS = [
  { key: 'ateliers', path: '/ateliers' },
  { key: 'bibliotheque', path: '/bibliotheque' },
  { key: 'veille', path: '/veille' },
  { key: 'territoire', path: '/territoire' },
  { key: 'expertises', path: '/expertises' },
];

function card(area) {
  return h('li', { class: `card area-${area.key}` },
    h('h3', { class: 'card-title' },
      h('a', { class: 'card-link', href: area.path, text: t(`${area.key}.title`) })),
    h('p', { text: t(`${area.key}.summary`) }));
}

export function render(ctx) {
  const areasId = uid('espaces');
  return h('section', { class: 'page page-home' },
    h('h1', { text: t('home.welcome', { name: ctx.user.name }) }),
    h('p', { class: 'lead', text: t('home.intro') }),
    h('section', { 'aria-labelledby': areasId },
      h('h2', { id: areasId, text: t('home.areasTitle') }),
      h('ul', { class: 'cards' }, AREAS.map(card))));
}
