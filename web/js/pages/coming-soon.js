// The honest placeholder for an area that is not built yet: its name, what is
// coming, and what it will do. Not a route itself; used by the area pages not built yet.

import { h } from '../dom.js';
import { t } from '../i18n.js';

/** @param {string} area i18n prefix: "bibliotheque", "veille", "expertises" */
export function comingSoonPage(area) {
  return h('section', { class: `page page-soon area-${area}` },
    h('h1', { text: t(`${area}.title`) }),
    h('div', { class: 'soon-panel' },
      h('p', { class: 'lead', text: t(`${area}.soon`) }),
      h('p', { text: t(`${area}.what`) })),
    h('p', {}, h('a', { href: '/', text: t('common.backHome') })));
}
