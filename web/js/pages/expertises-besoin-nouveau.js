// « Déclarer un besoin d'appui » (/expertises/besoins/nouveau): a CPTS project holder
// declares a need for their CPTS (animateurs for any CPTS, recorded or in project): its
// title, domains, phase, description, urgency and, optionally, its communes (else the
// territory saved for the CPTS with « Territoire d'une CPTS » is reused). What is typed
// is kept until the need is recorded (keepDraft).

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { compare, t } from '../i18n.js';
import { actions, createForm, inputField, keepDraft, selectField, submitButton, textareaField } from '../forms.js';
import { lists, loadMeta } from '../meta.js';
import { isManager, loadVocabulary, radioGroup, subNav, withFieldErrors } from '../expertises/common.js';
import { URGENCIES, communesPicker, urgencyLabel } from '../expertises/needs.js';

export const title = 'besoins.new.title';

const IN_PROJECT = 'projet';

export async function render(ctx) {
  const { signal, user } = ctx;
  const [vocabulary, orgsAnswer] = await Promise.all([loadVocabulary(signal), api.get('/api/orgs', { signal }), loadMeta()]);
  const manager = isManager(user);
  const cptsList = (orgsAnswer.orgs || []).filter((o) => o.type === 'cpts').sort((a, b) => compare(a.name, b.name));
  const ownCpts = user.org ? cptsList.find((o) => o.id === user.org.id) : null;
  const headingId = uid('titre');

  const page = (...children) => h('section', { class: 'page page-need-new area-expertises', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('besoins.new.title') }),
    subNav('/expertises/besoins'),
    children);

  if (!manager && !ownCpts) {
    return page(h('div', { class: 'panel empty-state' },
      h('p', { text: t('besoins.new.notCpts') }),
      h('p', {}, h('a', { href: '/expertises/besoins', text: t('besoins.backToList') }))));
  }

  // The CPTS: a member's own; animateurs choose, or name a CPTS in project.
  const cptsOptions = manager
    ? [...cptsList.map((o) => ({ value: String(o.id), label: o.name })), { value: IN_PROJECT, label: t('besoins.form.cptsInProject') }]
    : [{ value: String(ownCpts.id), label: ownCpts.name }];
  const cptsField = selectField({
    label: t('besoins.form.cpts'), name: 'cpts', options: cptsOptions,
    value: ownCpts ? String(ownCpts.id) : cptsOptions[0].value,
  });
  const cptsSelect = cptsField.querySelector('select');
  const nameField = inputField({
    label: t('besoins.form.cptsName'), name: 'cpts_name', autocomplete: 'off', hint: t('besoins.form.cptsNameHint'),
    attrs: { maxlength: '200' },
  });
  const showName = () => { nameField.hidden = cptsSelect.value !== IN_PROJECT; };
  cptsSelect.addEventListener('change', showName);

  const domainsBox = h('div', { class: 'checks checks-wide' }, vocabulary.domains.map((d) => {
    const id = uid('domaine');
    return h('div', { class: 'check' },
      h('input', { type: 'checkbox', id, name: 'domains', value: d.code, 'data-group': 'true' }),
      h('label', { for: id, text: d.label }));
  }));
  const domainsField = h('fieldset', { class: 'field fieldset' },
    h('legend', { text: t('besoins.form.domains') }),
    h('p', { class: 'hint', text: t('besoins.form.domainsHint') }),
    domainsBox);

  let draft = null;
  const picker = communesPicker({ signal, onChange: () => draft && draft.save() });

  const { form } = createForm({
    labelledBy: headingId,
    className: 'form form-wide',
    children: [
      inputField({ label: t('besoins.form.title'), name: 'title', required: true, autocomplete: 'off', hint: t('besoins.form.titleHint'), attrs: { maxlength: '200' } }),
      cptsField,
      nameField,
      domainsField,
      selectField({
        label: t('besoins.form.phase'), name: 'phase', value: '',
        options: [{ value: '', label: t('besoins.form.phaseNone') }, ...lists.phases().map((p) => ({ value: p.code, label: p.label }))],
      }),
      textareaField({ label: t('besoins.form.description'), name: 'description', rows: 6, hint: t('besoins.form.descriptionHint'), attrs: { maxlength: '5000' } }),
      radioGroup({
        legend: t('besoins.form.urgency'), name: 'urgency', value: 'normale',
        options: URGENCIES.map((u) => ({ value: u, label: urgencyLabel(u), hint: t(`besoins.urgencyHint.${u}`) })),
      }),
      picker.el,
      actions(submitButton(t('besoins.form.submit')),
        h('a', { class: 'button button-secondary', href: '/expertises/besoins', text: t('common.cancel') })),
    ],
    onSubmit: withFieldErrors(async (values) => {
      const domains = values.domains || [];
      if (!domains.length) {
        const err = new Error(t('besoins.form.domainsMissing'));
        err.field = 'domains';
        throw err;
      }
      const body = { title: values.title, domains, urgency: values.urgency || 'normale' };
      if (values.cpts === IN_PROJECT) body.cpts_name = values.cpts_name;
      else body.cpts_org_id = Number(values.cpts);
      if (values.phase) body.phase = values.phase;
      if (values.description) body.description = values.description;
      const codes = picker.codes();
      if (codes.length) body.communes = codes;
      const data = await api.post('/api/expertise/needs', body, { signal });
      draft.clear();
      await ctx.navigate(`/expertises/besoins/${data.need.id}`, { flash: t('besoins.new.created', { title: data.need.title }), flashKind: 'success' });
    }),
  });
  draft = keepDraft(form, `besoin-nouveau-${user.id}`, { get: () => picker.list(), set: (list) => picker.set(list) });
  showName();

  return page(
    h('p', { class: 'lead', text: t('besoins.new.lead') }),
    draft.restored ? h('p', { class: 'notice', role: 'status', text: t('besoins.new.restored') }) : null,
    h('div', { class: 'panel' }, form));
}
