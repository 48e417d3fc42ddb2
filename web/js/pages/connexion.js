// Sign-in page (/connexion). After signing in, goes to the page first asked for
// (?retour=/chemin), when it is a known page of the application.

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { actions, createForm, inputField, submitButton } from '../forms.js';
import { t } from '../i18n.js';
import { allowed, matchRoute } from '../routes.js';

export const title = 'login.title';

/** Only a local path of a signed-in page open to `role` is accepted (no open redirect). */
function returnTarget(query, role) {
  const wanted = query.get('retour');
  if (!wanted || !wanted.startsWith('/') || wanted.startsWith('//') || wanted.includes('\\')) return '/';
  let url;
  try {
    url = new URL(wanted, location.origin);
  } catch {
    return '/';
  }
  if (url.origin !== location.origin) return '/';
  const match = matchRoute(url.pathname);
  if (!match || match.route.public || !allowed(match.route, role)) return '/';
  return url.pathname + url.search;
}

export function render(ctx) {
  const headingId = uid('titre');
  const { form } = createForm({
    labelledBy: headingId,
    className: 'form form-login',
    children: [
      inputField({
        label: t('login.email'), name: 'email', type: 'email', required: true,
        autocomplete: 'username', attrs: { inputmode: 'email' },
      }),
      inputField({
        label: t('login.password'), name: 'password', type: 'password', required: true,
        autocomplete: 'current-password',
      }),
      actions(submitButton(t('login.submit'))),
    ],
    onSubmit: async (values, formEl) => {
      const data = await api.post('/api/session',
        { email: values.email, password: values.password }, { quiet401: true })
        .catch((err) => {
          // Clear the password so that the next try starts clean.
          formEl.elements.namedItem('password').value = '';
          throw err;
        });
      ctx.setUser(data.user);
      await ctx.navigate(returnTarget(ctx.query, data.user.role), { replace: true });
    },
  });

  return h('section', { class: 'page page-narrow page-login' },
    h('h1', { id: headingId, text: t('login.title') }),
    h('p', { class: 'lead', text: t('login.intro') }),
    h('div', { class: 'panel' }, form),
    h('p', { class: 'hint', text: t('login.help') }),
    h('p', { class: 'hint' }, t('login.code'), ' ', h('a', { href: '/code', text: t('login.codeLink') })));
}
