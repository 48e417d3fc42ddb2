// Administration of organisations (/admin/organisations, role admin): table with
// type, region, départements and user count; creation; edit; deletion after
// confirmation.

import { api } from '../api.js';
import { h, srOnly, uid, stackTable } from '../dom.js';
import { confirmDialog, openDialog } from '../dialog.js';
import { actions, createForm, inputField, selectField, submitButton } from '../forms.js';
import { compare, t } from '../i18n.js';
import { guardTypedText } from '../leave-guard.js';
import { labels, lists, loadMeta, region } from '../meta.js';

export const title = 'adminOrgs.title';

/**
 * The fields shared by the creation and edit forms. The départements offered
 * follow the chosen region. Returns the nodes and a `refresh()` to call after a
 * form reset.
 */
function orgFields(org) {
  const nameField = inputField({
    label: t('adminOrgs.name'), name: 'name', value: org ? org.name : undefined, required: true,
    autocomplete: 'off',
  });
  const typeField = selectField({
    label: t('adminOrgs.type'), name: 'type',
    options: lists.orgTypes().map((o) => ({ value: o.code, label: o.label })),
    value: org ? org.type : undefined,
  });
  const regionField = selectField({
    label: t('adminOrgs.region'), name: 'region',
    options: [
      { value: '', label: t('adminOrgs.nationalOption') },
      ...lists.regions().map((r) => ({ value: r.code, label: r.label })),
    ],
    value: org && org.region !== null && org.region !== undefined ? String(org.region) : '',
  });
  const regionSelect = regionField.querySelector('select');

  const box = h('div', { class: 'checks' });
  const fieldset = h('fieldset', { class: 'field fieldset' },
    h('legend', { text: t('adminOrgs.departements') }), box);

  function fill(checked) {
    box.replaceChildren();
    const chosen = region(regionSelect.value || null);
    if (!chosen || chosen.departements.length === 0) {
      box.append(h('p', { class: 'hint', text: t('adminOrgs.departementsNational') }));
      return;
    }
    for (const d of chosen.departements) {
      const id = uid('departement');
      box.append(h('div', { class: 'check' },
        h('input', {
          type: 'checkbox', id, name: 'departements', value: d.code, 'data-group': 'true',
          checked: checked.has(d.code),
        }),
        h('label', {
          for: id,
          text: t('adminOrgs.departementNamed', { code: d.code, name: d.label }),
        })));
    }
  }

  function currentChecked() {
    return new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
  }

  regionSelect.addEventListener('change', () => fill(currentChecked()));
  fill(new Set((org && org.departements ? org.departements : []).map(String)));

  return {
    nodes: [nameField, typeField, regionField, fieldset],
    refresh: () => fill(new Set()),
  };
}

function bodyFrom(values) {
  return {
    name: values.name,
    type: values.type,
    region: values.region === '' ? null : values.region,
    departements: values.region === '' ? [] : values.departements,
  };
}

export async function render(ctx) {
  const { signal } = ctx;
  // The forms need the lists of types, regions and départements.
  const [orgsData] = await Promise.all([api.get('/api/orgs', { signal }), loadMeta()]);
  const orgs = [...(orgsData.orgs || [])];

  const tableError = h('div', { class: 'form-error', role: 'alert', tabindex: '-1' });
  const captionId = uid('legende');
  const tableWrap = h('div', {
    class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: '0',
  });
  const tbody = h('tbody');

  function regionName(code) {
    if (code === null || code === undefined || code === '') return t('adminOrgs.national');
    return labels.region(code);
  }

  function rowButton(kind, label, org, onclick, className = 'button-secondary') {
    return h('button', {
      type: 'button', class: `button button-small ${className}`, 'data-action': kind, onclick,
    }, label, srOnly(` ${org.name}`));
  }

  function row(org) {
    const deps = Array.isArray(org.departements) ? org.departements : [];
    return h('tr', { 'data-id': String(org.id) },
      h('th', { scope: 'row', text: org.name }),
      h('td', { text: labels.orgType(org.type) }),
      h('td', { text: regionName(org.region) }),
      h('td', { text: deps.length ? deps.join(t('common.listSeparator')) : t('common.noneMasculine') }),
      h('td', { class: 'cell-number', text: String(org.user_count ?? 0) }),
      h('td', { class: 'cell-actions' },
        rowButton('edit', t('common.edit'), org, () => editOrg(org.id)),
        rowButton('delete', t('common.delete'), org, () => deleteOrg(org.id), 'button-danger-quiet')));
  }

  function renderRows() {
    orgs.sort((a, b) => compare(a.name, b.name));
    tbody.replaceChildren(...(orgs.length
      ? orgs.map(row)
      : [h('tr', {}, h('td', { colspan: '6', class: 'empty', text: t('adminOrgs.empty') }))]));
  }

  function focusRowButton(id, kind) {
    for (const tr of tbody.rows) {
      if (tr.dataset.id === String(id)) {
        tr.querySelector(`[data-action="${kind}"]`)?.focus();
        return;
      }
    }
  }

  function replaceOrg(updated) {
    const i = orgs.findIndex((o) => String(o.id) === String(updated.id));
    if (i >= 0) orgs[i] = updated;
    else orgs.push(updated);
    renderRows();
  }

  async function editOrg(id) {
    const org = orgs.find((o) => String(o.id) === String(id));
    if (!org) return;
    tableError.textContent = '';
    await openDialog({
      title: t('adminOrgs.editTitle', { name: org.name }),
      signal,
      body: (close, titleId) => {
        const fields = orgFields(org);
        const { form } = createForm({
          labelledBy: titleId,
          children: [
            ...fields.nodes,
            actions(
              submitButton(t('common.save')),
              h('button', {
                type: 'button', class: 'button button-secondary', text: t('common.cancel'),
                onclick: () => close(),
              }),
            ),
          ],
          onSubmit: async (values) => {
            const data = await api.patch(`/api/admin/orgs/${encodeURIComponent(org.id)}`,
              bodyFrom(values), { signal });
            replaceOrg(data.org);
            close();
            ctx.announce(t('adminOrgs.saved', { name: data.org.name }));
          },
        });
        return form;
      },
    });
    focusRowButton(id, 'edit');
  }

  async function deleteOrg(id) {
    const org = orgs.find((o) => String(o.id) === String(id));
    if (!org) return;
    tableError.textContent = '';
    const confirmed = await confirmDialog({
      title: t('adminOrgs.deleteTitle', { name: org.name }),
      text: t('adminOrgs.deleteText'),
      confirmLabel: t('common.delete'),
      danger: true,
      signal,
    });
    if (!confirmed) return;
    try {
      await api.del(`/api/admin/orgs/${encodeURIComponent(org.id)}`, { signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      // Said where the eyes and the focus go (above the table, which may be far up).
      tableError.textContent = err.message;
      tableError.scrollIntoView({ block: 'center' });
      tableError.focus();
      return;
    }
    const i = orgs.findIndex((o) => String(o.id) === String(id));
    if (i >= 0) orgs.splice(i, 1);
    renderRows();
    tableWrap.focus();
    ctx.announce(t('adminOrgs.deleted', { name: org.name }));
  }

  const createId = uid('titre');
  const createFields = orgFields(null);
  const create = createForm({
    labelledBy: createId,
    className: 'form form-grid',
    children: [...createFields.nodes, actions(submitButton(t('adminOrgs.createSubmit')))],
    onSubmit: async (values, form) => {
      const data = await api.post('/api/admin/orgs', bodyFrom(values), { signal });
      replaceOrg(data.org);
      form.reset();
      createFields.refresh();
      ctx.announce(t('adminOrgs.created', { name: data.org.name }));
    },
  });

  renderRows();
  tableWrap.append(stackTable(h('table', { class: 'table' },
    h('caption', { id: captionId, text: t('adminOrgs.tableCaption') }),
    h('thead', {}, h('tr', {},
      ['colName', 'colType', 'colRegion', 'colDepartements', 'colUsers', 'colActions']
        .map((key) => h('th', {
          scope: 'col', class: key === 'colUsers' ? 'cell-number' : null, text: t(`adminOrgs.${key}`),
        })))),
    tbody)));

  const page = h('section', { class: 'page page-admin' },
    h('h1', { text: t('adminOrgs.title') }),
    h('p', { class: 'lead', text: t('adminOrgs.intro') }),
    tableError,
    tableWrap,
    h('section', { class: 'block panel', 'aria-labelledby': createId },
      h('h2', { id: createId, text: t('adminOrgs.createTitle') }),
      create.form));
  // A name or an address typed and not saved: leaving asks first.
  guardTypedText(page, ctx.signal);
  return page;
}
