// The one-click unsubscribe link of a digest e-mail (/veille/desabonnement?jeton=...):
// public (the link works without signing in), it says what happened.

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';

export const title = 'veille.unsubscribeTitle';

export async function render(ctx) {
  const headingId = uid('titre');
  const token = ctx.query.get('jeton') || '';
  let text = t('veille.unsubscribeMissing');
  if (token) {
    try {
      await api.post('/api/watch/unsubscribe', { token }, { signal: ctx.signal });
      text = t('veille.unsubscribeDone');
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      text = err.status === 404 ? t('veille.unsubscribeUnknown') : err.message;
    }
  }
  return h('section', { class: 'page', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('veille.unsubscribeTitle') }),
    h('p', { class: 'lead', text }),
    // Signed out, the home page would only ask to sign in: say what signing in is for, and
    // come back to the watch once signed in.
    ctx.user
      ? [h('p', { text: t('veille.unsubscribeSignedIn') }),
        h('p', {}, h('a', { href: '/veille#lettres-de-veille', text: t('veille.unsubscribeManage') }))]
      : [h('p', { text: t('veille.unsubscribeSignedOut') }),
        h('p', {}, h('a', { href: `/connexion?retour=${encodeURIComponent('/veille')}`, text: t('veille.unsubscribeSignIn') }))]);
}
