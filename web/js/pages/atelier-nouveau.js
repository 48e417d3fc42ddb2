// Workshop creation (/ateliers/nouveau, animateurs and administrators): title,
// subject, stage, date, template (with its description and phases), CPTS and
// partner organisations. On success, goes to the new workshop's page.

import { api } from '../api.js';
import { fromLocalInput, kindLabel, workshopPath } from '../ateliers/common.js';
import { h, uid } from '../dom.js';
import {
  actions, createForm, formValues, inputField, selectField, submitButton, textareaField,
} from '../forms.js';
import { compare, t } from '../i18n.js';
import { guardLeaving } from '../leave-guard.js';
import { lists, loadMeta } from '../meta.js';

export const title = 'atelierNew.title';

/** The description and the phases of the chosen template. */
function templateSummary(template) {
  if (!template) return [];
  const phases = Array.isArray(template.phases) ? template.phases : [];
  return [
    template.description ? h('p', { text: template.description }) : null,
    h('p', { class: 'hint', text: t('atelierNew.templatePhases', { count: phases.length }) }),
    h('ol', { class: 'phase-summary' }, phases.map((p) => h('li', {},
      h('span', { class: 'phase-summary-title', text: p.title }), ' ',
      h('span', {
        class: 'hint',
        text: t('atelierNew.phaseDetails', { kind: kindLabel(p.kind), minutes: p.duration_min }),
      })))),
  ];
}

function partnersFieldset(orgs) {
  const box = h('div', { class: 'checks checks-wide' });
  for (const org of orgs) {
    const id = uid('partenaire');
    box.append(h('div', { class: 'check' },
      h('input', {
        type: 'checkbox', id, name: 'partner_ids', value: String(org.id), 'data-group': 'true',
      }),
      h('label', { for: id, text: org.name })));
  }
  if (!orgs.length) box.append(h('p', { class: 'hint', text: t('atelierNew.noOrgs') }));
  return h('fieldset', { class: 'field fieldset' },
    h('legend', { text: t('atelierNew.partners') }), box);
}

export async function render(ctx) {
  const [templatesData, orgsData] = await Promise.all([
    api.get('/api/templates', { signal: ctx.signal }),
    api.get('/api/orgs', { signal: ctx.signal }),
    loadMeta(), // the stages to choose from
  ]);
  const templates = Array.isArray(templatesData?.templates) ? templatesData.templates : [];
  const orgs = (Array.isArray(orgsData?.orgs) ? orgsData.orgs : [])
    .slice().sort((a, b) => compare(a.name, b.name));
  const cptsList = orgs.filter((o) => o.type === 'cpts');
  // From a need for support (/expertises/besoins/{id}): the form starts pre-filled and the
  // workshop is linked to the need once created.
  const needId = /^\d{1,12}$/.test(ctx.query.get('besoin') || '') ? ctx.query.get('besoin') : '';
  let fromNeed = null;
  if (needId) {
    fromNeed = (await api.get(`/api/expertise/needs/${needId}/workshop-draft`, { signal: ctx.signal })).draft;
  }

  // The template suggested for the CPTS's stage, until the person chooses one.
  const SUGGESTED = {
    lettre_intention: 'swot', projet_sante: 'swot', pre_aci: 'maturite-aci', post_conventionnement: 'post-conventionnement',
  };
  const suggested = (stage) => (templates.some((tpl) => tpl.slug === SUGGESTED[stage]) ? SUGGESTED[stage] : undefined);
  const templateField = selectField({
    label: t('atelierNew.template'), name: 'template', required: true,
    options: templates.map((tpl) => ({ value: tpl.slug, label: tpl.name })),
    value: suggested(lists.stages()[0]?.code) ?? (templates.some((tpl) => tpl.slug === 'swot') ? 'swot' : undefined),
    hint: t('atelierNew.templateHint'),
  });
  const templateSelect = templateField.querySelector('select');
  let templateChosen = false;
  templateSelect.addEventListener('change', () => { templateChosen = true; });
  const summary = h('div', { class: 'template-summary', 'aria-live': 'polite' });
  const showTemplate = () => summary.replaceChildren(
    ...templateSummary(templates.find((tpl) => tpl.slug === templateSelect.value)).filter(Boolean));
  templateSelect.addEventListener('change', showTemplate);
  showTemplate();

  const headingId = uid('titre');
  const { form } = createForm({
    labelledBy: headingId,
    className: 'form form-wide',
    children: [
      inputField({
        label: t('atelierNew.titleField'), name: 'title', required: true, autocomplete: 'off',
        attrs: { maxlength: '200' },
      }),
      textareaField({
        label: t('atelierNew.subject'), name: 'subject', hint: t('atelierNew.subjectHint'),
        attrs: { maxlength: '1000' },
      }),
      selectField({
        label: t('atelierNew.stage'), name: 'stage',
        options: lists.stages().map((s) => ({ value: s.code, label: s.label })),
      }),
      inputField({ label: t('atelierNew.date'), name: 'date', type: 'datetime-local', required: true }),
      templateField,
      summary,
      selectField({
        label: t('atelierNew.cpts'), name: 'cpts_id',
        options: [{ value: '', label: t('atelierNew.noCpts') },
          ...cptsList.map((o) => ({ value: String(o.id), label: o.name }))],
        value: '',
      }),
      partnersFieldset(orgs),
      actions(submitButton(t('atelierNew.submit')),
        h('a', { class: 'button button-secondary', href: '/ateliers', text: t('common.cancel') })),
    ],
    onSubmit: async (values) => {
      const body = {
        title: values.title,
        stage: values.stage,
        date: fromLocalInput(values.date),
        template: values.template,
        partner_ids: values.partner_ids.map(Number),
      };
      // Optional fields are left out when empty (the server refuses empty strings).
      if (values.subject) body.subject = values.subject;
      if (values.cpts_id) body.cpts_id = Number(values.cpts_id);
      const data = await api.post('/api/workshops', body, { signal: ctx.signal });
      created = true;
      let flash = t('atelierNew.created', { title: data.workshop.title });
      let flashKind = 'success';
      if (fromNeed) {
        try {
          await api.post(`/api/expertise/needs/${needId}/links`, { kind: 'workshop', id: data.workshop.id }, { signal: ctx.signal });
        } catch (err) {
          if (err && err.name === 'AbortError') throw err;
          flash = t('atelierNew.linkFailed', { message: err.message });
          flashKind = 'error';
        }
      }
      await ctx.navigate(workshopPath(data.workshop.id), { flash, flashKind });
    },
  });

  // A change of stage suggests its template, unless one was chosen.
  const stageSelect = form.elements.namedItem('stage');
  const followStage = () => {
    const slug = suggested(stageSelect.value);
    if (templateChosen || !slug || templateSelect.value === slug) return;
    templateSelect.value = slug;
    showTemplate();
  };
  stageSelect.addEventListener('change', followStage, { signal: ctx.signal });

  // Leaving with the form filled in and not sent asks first.
  let created = false;
  const initial = JSON.stringify(formValues(form));
  guardLeaving(() => !created && JSON.stringify(formValues(form)) !== initial, ctx.signal);

  if (fromNeed) {
    const set = (name, value) => {
      const el = form.elements.namedItem(name);
      if (el && value !== null && value !== undefined && value !== '') el.value = String(value);
    };
    set('title', fromNeed.title);
    set('subject', fromNeed.subject);
    set('stage', fromNeed.stage);
    followStage();
    set('cpts_id', fromNeed.cpts_id);
    for (const box of form.querySelectorAll('input[name="partner_ids"]')) box.checked = (fromNeed.partner_ids || []).includes(Number(box.value));
  }

  return h('section', { class: 'page page-atelier-new area-ateliers' },
    h('h1', { id: headingId, text: t('atelierNew.title') }),
    h('p', { class: 'lead', text: t('atelierNew.intro') }),
    fromNeed ? h('p', { class: 'notice', text: t('atelierNew.fromNeed', { title: fromNeed.title }) }) : null,
    h('div', { class: 'panel' }, form));
}
