// Workshops list (/ateliers): "Mes ateliers", "À venir" and "Passés", and for
// animateurs and administrators a link to create one.

import { api } from '../api.js';
import { canFacilitate, workshopCard } from '../ateliers/common.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';

export const title = 'ateliers.title';

const SCOPES = [
  { scope: 'mine', key: 'ateliers.mine' },
  { scope: 'upcoming', key: 'ateliers.upcoming' },
  { scope: 'past', key: 'ateliers.past' },
];

// An empty list says what to do: animateurs create, others are invited (or enrolled).
function section(key, workshops, scope, facilitates) {
  const id = uid('titre');
  const empty = scope === 'past' ? t('ateliers.emptyPast')
    : facilitates ? t('ateliers.emptyFacilitator') : t('ateliers.emptyMember');
  return h('section', { class: 'block', 'aria-labelledby': id },
    h('h2', { id, text: t(key) }),
    workshops.length
      ? h('ul', { class: 'cards workshop-list' }, workshops.map(workshopCard))
      : h('p', { class: 'empty-text', text: empty }));
}

export async function render(ctx) {
  const lists = await Promise.all(SCOPES.map(({ scope }) =>
    api.get(`/api/workshops?scope=${scope}`, { signal: ctx.signal })
      .then((data) => (Array.isArray(data?.workshops) ? data.workshops : []))));

  return h('section', { class: 'page page-ateliers area-ateliers' },
    h('div', { class: 'page-head' },
      h('h1', { text: t('ateliers.title') }),
      canFacilitate(ctx.user)
        ? h('a', { class: 'button', href: '/ateliers/nouveau', text: t('ateliers.create') }) : null),
    h('p', { class: 'lead', text: t('ateliers.summary') }),
    SCOPES.map(({ key, scope }, i) => section(key, lists[i], scope, canFacilitate(ctx.user))));
}
