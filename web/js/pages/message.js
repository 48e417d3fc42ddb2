// A simple page made of a title, a sentence and an optional action: used for
// "page not found", "access reserved" and loading errors. Not a route itself.

import { h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @param {{ title: string, text: string, retry?: () => void }} options
 *   retry: shows a "Réessayer" button; without it, a link back to the home page.
 */
export function messagePage({ title, text, retry, back }) {
  // `back` ({ href, label }): where to go on from a page that does not exist (its list).
  const action = retry
    ? h('button', { type: 'button', class: 'button', text: t('common.retry'), onclick: retry })
    : back ? h('a', { href: back.href, class: 'button', text: back.label })
      : h('a', { href: '/', class: 'button button-secondary', text: t('common.backHome') });
  return h('section', { class: 'page page-message' },
    h('h1', { text: title }),
    h('p', { class: 'lead', text }),
    h('p', {}, action));
}
