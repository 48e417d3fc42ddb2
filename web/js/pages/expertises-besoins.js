// « Besoins d'appui » (/expertises/besoins): the needs declared by or for CPTS project
// holders, by state (?etat=), most recently changed first, each with its CPTS, domains,
// urgency, state in words and who accompanies it; the way to declare one.

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { t, tn } from '../i18n.js';
import { absoluteDate } from '../time.js';
import { subNav } from '../expertises/common.js';
import { STATES, domainsText, needTags, needTerritoryText, stateLabel } from '../expertises/needs.js';

export const title = 'besoins.title';

export async function render(ctx) {
  const { signal } = ctx;
  const wanted = ctx.query.get('etat') || '';
  const state = STATES.includes(wanted) ? wanted : '';
  const data = await api.get(`/api/expertise/needs${state ? `?state=${state}` : ''}`, { signal });
  const needs = data.needs || [];
  const headingId = uid('titre');
  const listId = uid('titre');

  const filters = h('nav', { class: 'need-filters', 'aria-label': t('besoins.filterLabel') },
    h('ul', {}, ['', ...STATES].map((s) => h('li', {},
      h('a', {
        href: s ? `/expertises/besoins?etat=${s}` : '/expertises/besoins',
        'aria-current': s === state ? 'page' : null,
        text: s ? stateLabel(s) : t('besoins.all'),
      })))));

  const item = (n) => h('li', { class: 'panel need-card' },
    h('h3', { class: 'need-card-title' }, h('a', { href: `/expertises/besoins/${n.id}`, text: n.title })),
    h('p', {}, needTags(n)),
    h('p', {}, h('strong', { text: n.cpts.name }), ' — ', needTerritoryText(n)),
    h('p', { class: 'hint', text: t('besoins.domainsLine', { list: domainsText(n) }) }),
    h('p', { class: 'hint', text: n.assignee
      ? t('besoins.assignedTo', { name: n.assignee.name, date: absoluteDate(n.updated_at) })
      : t('besoins.updatedOn', { date: absoluteDate(n.updated_at) }) }));

  const empty = h('div', { class: 'panel empty-state' },
    h('p', { text: state ? t('besoins.emptyState', { state: stateLabel(state).toLowerCase() }) : t('besoins.empty') }),
    h('p', {}, h('a', { class: 'button', href: '/expertises/besoins/nouveau', text: t('besoins.declare') })));

  return h('section', { class: 'page page-needs area-expertises', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('besoins.title') }),
    subNav('/expertises/besoins'),
    h('p', { class: 'lead', text: t('besoins.lead') }),
    h('p', {}, h('a', { class: 'button', href: '/expertises/besoins/nouveau', text: t('besoins.declare') })),
    filters,
    h('section', { class: 'block', 'aria-labelledby': listId },
      h('h2', { id: listId, text: state ? t('besoins.listTitleState', { state: stateLabel(state) }) : t('besoins.listTitle') }),
      needs.length
        ? [h('p', { class: 'hint', text: tn('besoins.count', needs.length) }), h('ul', { class: 'need-list' }, needs.map(item))]
        : empty));
}
