// Account page (/compte): the signed-in person's details, display-name change
// (PATCH /api/me) and password change (POST /api/me/password).

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { actions, createForm, inputField, keepDraft, submitButton } from '../forms.js';
import { t } from '../i18n.js';
import { guardTypedText } from '../leave-guard.js';
import { labels } from '../meta.js';

export const title = 'account.title';

function detailsList(user) {
  const role = labels.role(user.role);
  const rows = [
    ['account.name', user.name],
    ['account.email', user.email],
    ['account.role', role],
    ['account.org', user.org ? user.org.name : t('common.none')],
  ];
  return h('dl', { class: 'details' },
    rows.map(([key, value]) => h('div', { class: 'details-row' },
      h('dt', { text: t(key) }), h('dd', { text: value || t('common.notSet') }))));
}

function mismatch() {
  const err = new Error(t('form.passwordMismatch'));
  err.field = 'confirm';
  return err;
}

export async function render(ctx) {
  let user = ctx.user;

  const detailsId = uid('titre');
  const details = h('div', { class: 'panel' }, detailsList(user));

  const nameId = uid('titre');
  const nameForm = createForm({
    labelledBy: nameId,
    children: [
      inputField({
        label: t('account.displayName'), name: 'name', value: user.name, required: true,
        autocomplete: 'name', attrs: { maxlength: '120' },
      }),
      actions(submitButton(t('account.nameSubmit'))),
    ],
    onSubmit: async (values, form) => {
      const data = await api.patch('/api/me', { name: values.name }, { signal: ctx.signal });
      // Saved: the name is what the field now starts from (leaving asks nothing).
      const box = form.elements.namedItem('name');
      box.value = data.user.name;
      box.defaultValue = data.user.name;
      user = data.user;
      ctx.setUser(user);
      details.replaceChildren(detailsList(user));
      nameDraft.clear();
      ctx.announce(t('account.nameSaved'));
    },
  });
  // A name being typed survives a reload or a session that ended mid-way.
  const nameDraft = keepDraft(nameForm.form, `compte-nom-${user.id}`);

  const passwordId = uid('titre');
  const passwordForm = createForm({
    labelledBy: passwordId,
    children: [
      // A hidden username field helps password managers file the new password.
      h('input', {
        type: 'email', name: 'username', value: user.email, autocomplete: 'username',
        class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', readonly: true,
      }),
      inputField({
        label: t('account.currentPassword'), name: 'current_password', type: 'password',
        required: true, autocomplete: 'current-password',
      }),
      inputField({
        label: t('account.newPassword'), name: 'new_password', type: 'password',
        required: true, autocomplete: 'new-password', password: true,
      }),
      inputField({
        label: t('account.confirmPassword'), name: 'confirm', type: 'password',
        required: true, autocomplete: 'new-password',
      }),
      actions(submitButton(t('account.passwordSubmit'))),
    ],
    onSubmit: async (values, form) => {
      if (values.new_password !== values.confirm) throw mismatch();
      await api.post('/api/me/password', {
        current_password: values.current_password,
        new_password: values.new_password,
      }, { signal: ctx.signal });
      form.reset();
      ctx.announce(t('account.passwordSaved'));
      // « À changer » no longer holds: the account as the server now has it.
      if (ctx.user?.password_to_change && ctx.refreshUser) ctx.refreshUser().catch(() => {});
    },
  });

  const page = h('section', { class: 'page page-account' },
    h('h1', { text: t('account.title') }),
    h('section', { class: 'block', 'aria-labelledby': detailsId },
      h('h2', { id: detailsId, text: t('account.detailsTitle') }),
      details),
    h('div', { class: 'columns' },
      h('section', { class: 'block panel', 'aria-labelledby': nameId },
        h('h2', { id: nameId, text: t('account.nameFormTitle') }),
        nameForm.form),
      h('section', { class: 'block panel', 'aria-labelledby': passwordId },
        h('h2', { id: passwordId, text: t('account.passwordFormTitle') }),
        passwordForm.form)));
  // A name or an address typed and not saved: leaving asks first.
  guardTypedText(page, ctx.signal);
  return page;
}
