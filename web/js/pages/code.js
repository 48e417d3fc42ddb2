// Public page (/code): someone in the room types the short code the facilitator shows
// (or projects) and lands on the invitation page of that link.

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { actions, createForm, inputField, submitButton } from '../forms.js';
import { t } from '../i18n.js';

export const title = 'code.title';

export function render(ctx) {
  const headingId = uid('titre');
  const { form } = createForm({
    labelledBy: headingId,
    className: 'form form-login',
    children: [
      inputField({
        label: t('code.label'), name: 'code', required: true, hint: t('code.hint'),
        attrs: {
          maxlength: '12', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
          class: 'input-code',
        },
      }),
      actions(submitButton(t('code.submit'))),
    ],
    onSubmit: async (values) => {
      const data = await api.post('/api/invites/code', { code: values.code }, { signal: ctx.signal, quiet401: true });
      await ctx.navigate(data.path);
    },
  });
  const prefilled = ctx.query.get('code');
  if (prefilled) form.elements.code.value = prefilled.slice(0, 12);
  return h('section', { class: 'page page-narrow page-code area-ateliers' },
    h('h1', { id: headingId, text: t('code.title') }),
    h('p', { class: 'lead', text: t('code.lead') }),
    h('div', { class: 'panel' }, form));
}
