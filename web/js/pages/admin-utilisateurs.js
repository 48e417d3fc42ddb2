// Administration of accounts (/admin/utilisateurs, role admin): table of users,
// creation form, per-row edit (name, role, organisation, active) and password reset.

import { api } from '../api.js';
import { h, srOnly, uid, stackTable } from '../dom.js';
import { openDialog } from '../dialog.js';
import {
  actions, checkboxField, createForm, inputField, keepDraft, selectField, submitButton,
} from '../forms.js';
import { compare, t } from '../i18n.js';
import { guardTypedText } from '../leave-guard.js';
import { labels, lists, loadMeta } from '../meta.js';

export const title = 'adminUsers.title';

export async function render(ctx) {
  const { signal } = ctx;
  // The forms need the list of roles.
  const [usersData, orgsData] = await Promise.all([
    api.get('/api/admin/users', { signal }),
    api.get('/api/orgs', { signal }),
    loadMeta(),
  ]);
  const users = [...(usersData.users || [])];
  const orgs = [...(orgsData.orgs || [])].sort((a, b) => compare(a.name, b.name));

  // Select values are strings; keep the server's id type when sending org_id.
  const orgById = new Map(orgs.map((o) => [String(o.id), o]));
  const orgIdFrom = (value) => (value === '' ? null : orgById.get(value)?.id ?? value);
  const orgOptions = () => [
    { value: '', label: t('adminUsers.noOrg') },
    ...orgs.map((o) => ({ value: String(o.id), label: o.name })),
  ];
  const roleOptions = () => lists.roles().map((r) => ({ value: r.code, label: r.label }));

  // ------------------------------------------------------------ table
  const captionId = uid('legende');
  const tbody = h('tbody');

  function rowButton(kind, label, user, onclick) {
    return h('button', {
      type: 'button', class: 'button button-small button-secondary', 'data-action': kind, onclick,
    }, label, srOnly(` ${user.name}`));
  }

  function row(user) {
    return h('tr', { 'data-id': String(user.id) },
      h('th', { scope: 'row', text: user.name }),
      h('td', { class: 'cell-email', text: user.email }),
      h('td', { text: labels.role(user.role) }),
      h('td', { text: user.org ? user.org.name : t('common.none') }),
      h('td', {},
        h('span', {
          class: user.active ? 'tag tag-ok' : 'tag tag-off',
          text: user.active ? t('adminUsers.active') : t('adminUsers.inactive'),
        })),
      h('td', { class: 'cell-actions' },
        rowButton('edit', t('common.edit'), user, () => editUser(user.id)),
        rowButton('password', t('adminUsers.resetButton'), user, () => resetPassword(user.id))));
  }

  function renderRows() {
    users.sort((a, b) => compare(a.name, b.name));
    tbody.replaceChildren(...(users.length
      ? users.map(row)
      : [h('tr', {}, h('td', { colspan: '6', class: 'empty', text: t('adminUsers.empty') }))]));
  }

  function focusRowButton(id, kind) {
    for (const tr of tbody.rows) {
      if (tr.dataset.id === String(id)) {
        tr.querySelector(`[data-action="${kind}"]`)?.focus();
        return;
      }
    }
  }

  function replaceUser(updated) {
    const i = users.findIndex((u) => String(u.id) === String(updated.id));
    if (i >= 0) users[i] = updated;
    else users.push(updated);
    renderRows();
  }

  // ------------------------------------------------------------ edit
  async function editUser(id) {
    const user = users.find((u) => String(u.id) === String(id));
    if (!user) return;
    await openDialog({
      title: t('adminUsers.editTitle', { name: user.name }),
      signal,
      body: (close, titleId) => {
        const { form } = createForm({
          labelledBy: titleId,
          children: [
            inputField({ label: t('adminUsers.name'), name: 'name', value: user.name, required: true, attrs: { maxlength: '120' } }),
            inputField({
              label: t('adminUsers.email'), name: 'email', type: 'email', value: user.email, required: true,
              autocomplete: 'off', hint: t('adminUsers.emailHint'), attrs: { maxlength: '254' },
            }),
            selectField({
              label: t('adminUsers.role'), name: 'role', options: roleOptions(), value: user.role,
            }),
            selectField({
              label: t('adminUsers.org'), name: 'org_id', options: orgOptions(),
              value: user.org ? String(user.org.id) : '',
            }),
            checkboxField({
              label: t('adminUsers.activeLabel'), name: 'active', checked: user.active,
              hint: t('adminUsers.activeHint'),
            }),
            actions(
              submitButton(t('common.save')),
              h('button', {
                type: 'button', class: 'button button-secondary', text: t('common.cancel'),
                onclick: () => close(),
              }),
            ),
          ],
          onSubmit: async (values) => {
            // Send only what changed: a PATCH accepts any subset.
            const changes = {};
            if (values.name !== user.name) changes.name = values.name;
            if (values.email.toLowerCase() !== user.email.toLowerCase()) changes.email = values.email;
            if (values.role !== user.role) changes.role = values.role;
            const orgId = orgIdFrom(values.org_id);
            if (String(orgId ?? '') !== String(user.org ? user.org.id : '')) changes.org_id = orgId;
            if (values.active !== Boolean(user.active)) changes.active = values.active;
            if (Object.keys(changes).length === 0) {
              close();
              return;
            }
            const data = await api.patch(`/api/admin/users/${encodeURIComponent(user.id)}`,
              changes, { signal });
            replaceUser(data.user);
            close();
            ctx.announce(t('adminUsers.saved', { name: data.user.name }));
            if (ctx.user && String(data.user.id) === String(ctx.user.id)) {
              ctx.setUser(data.user);
              if (data.user.role !== 'admin' || !data.user.active) ctx.navigate('/', { replace: true });
            }
          },
        });
        return form;
      },
    });
    focusRowButton(id, 'edit');
  }

  // ------------------------------------------------------------ password reset
  async function resetPassword(id) {
    const user = users.find((u) => String(u.id) === String(id));
    if (!user) return;
    await openDialog({
      title: t('adminUsers.resetTitle', { name: user.name }),
      signal,
      body: (close, titleId) => {
        const { form } = createForm({
          labelledBy: titleId,
          children: [
            h('p', { text: t('adminUsers.resetIntro') }),
            inputField({
              label: t('adminUsers.newPassword'), name: 'password', type: 'password',
              required: true, autocomplete: 'new-password', password: true,
            }),
            actions(
              submitButton(t('adminUsers.resetSubmit')),
              h('button', {
                type: 'button', class: 'button button-secondary', text: t('common.cancel'),
                onclick: () => close(),
              }),
            ),
          ],
          onSubmit: async (values) => {
            const data = await api.patch(`/api/admin/users/${encodeURIComponent(user.id)}`,
              { password: values.password }, { signal });
            if (data && data.user) replaceUser(data.user);
            close();
            ctx.announce(t('adminUsers.resetDone', { name: user.name }));
          },
        });
        return form;
      },
    });
    focusRowButton(id, 'password');
  }

  // ------------------------------------------------------------ creation
  const createId = uid('titre');
  const create = createForm({
    labelledBy: createId,
    className: 'form form-grid',
    children: [
      inputField({ label: t('adminUsers.name'), name: 'name', required: true, autocomplete: 'off', attrs: { maxlength: '120' } }),
      inputField({
        label: t('adminUsers.email'), name: 'email', type: 'email', required: true,
        autocomplete: 'off',
      }),
      selectField({
        label: t('adminUsers.role'), name: 'role', options: roleOptions(),
        value: lists.roles().some((r) => r.code === 'membre') ? 'membre' : undefined,
      }),
      selectField({ label: t('adminUsers.org'), name: 'org_id', options: orgOptions(), value: '' }),
      inputField({
        label: t('adminUsers.initialPassword'), name: 'password', type: 'password',
        required: true, autocomplete: 'new-password', password: true,
      }),
      actions(submitButton(t('adminUsers.createSubmit'))),
    ],
    onSubmit: async (values, form) => {
      const body = {
        email: values.email, name: values.name, role: values.role, password: values.password,
      };
      const orgId = orgIdFrom(values.org_id);
      if (orgId !== null) body.org_id = orgId;
      const data = await api.post('/api/admin/users', body, { signal });
      replaceUser(data.user);
      form.reset();
      createDraft.clear();
      ctx.announce(t('adminUsers.created', { name: data.user.name }));
    },
  });
  // What is typed survives a reload or a session that ended mid-way (not the password).
  const createDraft = keepDraft(create.form, 'admin-compte-nouveau');

  renderRows();

  const page = h('section', { class: 'page page-admin' },
    h('h1', { text: t('adminUsers.title') }),
    h('p', { class: 'lead', text: t('adminUsers.intro') }),
    h('div', {
      class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: '0',
    },
    stackTable(h('table', { class: 'table' },
      h('caption', { id: captionId, text: t('adminUsers.tableCaption') }),
      h('thead', {}, h('tr', {},
        ['colName', 'colEmail', 'colRole', 'colOrg', 'colStatus', 'colActions']
          .map((key) => h('th', { scope: 'col', text: t(`adminUsers.${key}`) })))),
      tbody))),
    h('section', { class: 'block panel', 'aria-labelledby': createId },
      h('h2', { id: createId, text: t('adminUsers.createTitle') }),
      create.form));
  // A name or an address typed and not saved: leaving asks first.
  guardTypedText(page, ctx.signal);
  return page;
}
