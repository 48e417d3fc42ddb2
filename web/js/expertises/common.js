// Helpers shared by the pages of the expertise map (« Expertises »): the sub-navigation,
// levels and scopes in words, an expertise's state in text (« validée », « à
// reconfirmer »), territories, field-level errors from the API's `error.field`, and the
// person form (declare oneself, enter someone without an account, edit an entry).
// API: /api/expertise (docs/api.md, « Expertise map »).

import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { compare, t } from '../i18n.js';
import { actions, checkboxField, createForm, inputField, keepDraft, selectField } from '../forms.js';
import { lists, region as regionOf } from '../meta.js';
import { absoluteDate } from '../time.js';

export const LEVELS = ['notions', 'pratique', 'referent'];
export const SCOPES = ['local', 'regional', 'national'];
export const AUDIENCES = ['network', 'region', 'organisation'];

export const levelLabel = (code) => t(`expertises.level.${code}`);
export const scopeLabel = (code) => t(`expertises.scope.${code}`);

/** Whether this account may enter people and edit others' entries. */
export function isManager(user) {
  return Boolean(user) && (user.role === 'animateur' || user.role === 'admin');
}

/** The links between the expertise pages; `current` is the path shown. */
export function subNav(current) {
  const links = [
    ['/expertises', 'expertises.nav.directory'],
    ['/expertises/moi', 'expertises.nav.mine'],
    ['/expertises/besoins', 'expertises.nav.needs'],
    ['/expertises/matrice', 'expertises.nav.matrix'],
    ['/expertises/reseau', 'expertises.nav.network'],
  ];
  return h('nav', { class: 'expertise-subnav', 'aria-label': t('expertises.nav.label') },
    h('ul', {}, links.map(([href, key]) => h('li', {},
      h('a', { href, 'aria-current': href === current ? 'page' : null, text: t(key) })))));
}

/** « Pas-de-Calais (62), Nord (59) », else the région, else « Territoire non précisé ». */
export function territoryText(territory) {
  const deps = (territory && territory.departements) || [];
  if (deps.length) return deps.map((d) => `${d.name || d.code} (${d.code})`).join(', ');
  if (territory && territory.region) return t('expertises.wholeRegion', { region: territory.region.name || territory.region.code });
  return t('expertises.noTerritory');
}

/** The organisation and role in one line: « Référente ROC · CPAM de l'Artois ». */
export function roleLine(person) {
  return [person.role && person.role.label, person.org && person.org.name].filter(Boolean).join(' · ');
}

/** The state of an expertise in words (never colour alone), as tags. */
export function entryTags(entry) {
  const validated = typeof entry.validated === 'object' ? Boolean(entry.validated) : entry.validated === true;
  return [
    validated
      ? h('span', { class: 'tag tag-ok', text: t('expertises.validated') })
      : h('span', { class: 'tag tag-off', text: t('expertises.notValidated') }),
    entry.stale ? h('span', { class: 'tag tag-stale', text: t('expertises.stale') }) : null,
  ];
}

/** « Référent, portée régionale ». */
export function levelScopeText(entry) {
  return t('expertises.levelScope', { level: levelLabel(entry.level), scope: scopeLabel(entry.scope || 'local').toLowerCase() });
}

/** « Validée par Anne Animatrice le 3 décembre 2026 à 10:12 », or « Pas encore validée ». */
export function validationText(entry) {
  if (!entry.validated) return t('expertises.validationNone');
  return t('expertises.validationBy', { name: entry.validated.by ? entry.validated.by.name : '', date: absoluteDate(entry.validated.at) });
}

// ------------------------------------------------------------------ field errors

/**
 * A form's submit handler, as is. An API error naming a field (`error.field`) is written
 * next to that field once, by createForm (forms.js), which also announces and focuses it:
 * this wrapper no longer marks it a second time. Kept so that callers need not change.
 */
export function withFieldErrors(onSubmit) {
  return onSubmit;
}

// ------------------------------------------------------------------ territory picker

/**
 * A région select and the checkboxes of its départements (none ticked: the whole
 * région). Returns { el, values() → { region, departements } }.
 */
export function territoryPicker({ region = '', departements = [], legend }) {
  const regions = lists.regions();
  const selected = new Set(departements);
  const depsBox = h('div', { class: 'checks' });
  const regionSelect = selectField({
    label: t('expertises.form.region'), name: 'region', value: region,
    hint: t('expertises.form.regionHint'),
    options: [{ value: '', label: t('expertises.form.regionNone') },
      ...regions.map((r) => ({ value: r.code, label: r.label }))],
  });
  const select = regionSelect.querySelector('select');
  function drawDeps() {
    const r = regionOf(select.value);
    const list = r ? r.departements : [];
    replace(depsBox, list.length
      ? [...list].sort((a, b) => compare(a.code, b.code)).map((d) => {
        const id = uid('dep');
        const box = h('input', { type: 'checkbox', id, name: 'departements', value: d.code, 'data-group': 'true' });
        box.checked = selected.has(d.code);
        box.addEventListener('change', () => { if (box.checked) selected.add(d.code); else selected.delete(d.code); });
        return h('div', { class: 'check' }, box, h('label', { for: id, text: `${d.label} (${d.code})` }));
      })
      : h('p', { class: 'hint', text: t('expertises.form.departementsNoRegion') }));
  }
  select.addEventListener('change', drawDeps);
  drawDeps();
  // A kept draft put back: its région, then its départements.
  const restore = (draft) => {
    if (!draft || typeof draft !== 'object') return;
    if (typeof draft.region === 'string' && [...select.options].some((o) => o.value === draft.region)) select.value = draft.region;
    selected.clear();
    for (const code of Array.isArray(draft.departements) ? draft.departements : []) if (typeof code === 'string') selected.add(code);
    drawDeps();
  };
  const current = () => ({ region: select.value, departements: [...selected] });
  const fieldset = h('fieldset', { class: 'fieldset' },
    h('legend', { text: legend || t('expertises.form.departements') }),
    h('p', { class: 'hint', text: t('expertises.form.departementsHint') }),
    depsBox);
  return { el: [regionSelect, fieldset], restore, current };
}

/** A group of radio buttons with an explanation under each. */
export function radioGroup({ legend, name, value, options, hint }) {
  return h('fieldset', { class: 'fieldset radio-group' },
    h('legend', { text: legend }),
    hint ? h('p', { class: 'hint', text: hint }) : null,
    options.map((o) => {
      const id = uid(`${name}-${o.value}`);
      const helpId = o.hint ? uid('aide') : null;
      const input = h('input', { type: 'radio', id, name, value: o.value, 'aria-describedby': helpId });
      input.checked = o.value === value;
      input.defaultChecked = input.checked;
      return h('div', { class: 'radio' },
        input,
        h('label', { for: id, text: o.label }),
        o.hint ? h('p', { class: 'hint', id: helpId, text: o.hint }) : null);
    }));
}

/** Reads the ticked radio of a group (formValues skips radios). */
export function radioValue(form, name) {
  const checked = form.querySelector(`input[type="radio"][name="${name}"]:checked`);
  return checked ? checked.value : '';
}

// ------------------------------------------------------------------ the person form

/**
 * The form of a person's entry. Modes: "self-new" (declare oneself), "other-new" (an
 * animateur enters someone without an account), "edit" (an existing entry, oneself or
 * someone else). `person` is the Person for "edit". `roles` from /api/expertise/domains;
 * `orgs` ([Org]) when the organisation may be chosen. `onSaved(person, form)`.
 */
export function personForm({ mode, person = null, roles, orgs = null, signal, onSaved, labelledBy }) {
  const editing = mode === 'edit';
  const forOther = mode === 'other-new' || (editing && !person.user_id);
  const consentNow = editing ? person.consent : false;
  const children = [];
  if (forOther) {
    children.push(inputField({
      label: t('expertises.form.name'), name: 'name', required: true, value: editing ? person.name : '',
      autocomplete: 'off', attrs: { maxlength: '200' },
    }));
  }
  children.push(selectField({
    label: t('expertises.form.role'), name: 'role', required: true, value: editing ? person.role.code : '',
    options: [{ value: '', label: t('expertises.form.roleChoose') }, ...roles.map((r) => ({ value: r.code, label: r.label }))],
  }));
  if (orgs) {
    children.push(selectField({
      label: t('expertises.form.org'), name: 'org_id', value: editing && person.org ? String(person.org.id) : '',
      hint: editing ? t('expertises.form.orgChangeHint') : null,
      options: [{ value: '', label: t('expertises.form.orgNone') },
        ...[...orgs].sort((a, b) => compare(a.name, b.name)).map((o) => ({ value: String(o.id), label: o.name }))],
    }));
  }
  const territory = territoryPicker({
    region: editing && person.territory.region ? person.territory.region.code : '',
    departements: editing ? person.territory.departements.map((d) => d.code) : [],
  });
  children.push(territory.el);
  if (forOther) {
    children.push(inputField({
      label: t('expertises.form.email'), name: 'email', type: 'email', autocomplete: 'off',
      value: editing && person.contact ? person.contact.email : '', attrs: { maxlength: '254' },
    }));
  }
  children.push(inputField({
    label: t('expertises.form.phone'), name: 'phone', type: 'tel', autocomplete: forOther ? 'off' : 'tel',
    value: editing && person.contact ? person.contact.phone : '',
    hint: forOther ? t('expertises.form.phoneHintOther') : t('expertises.form.phoneHint'), attrs: { maxlength: '40' },
  }));
  children.push(radioGroup({
    legend: t('expertises.form.audience'), name: 'audience', value: editing ? person.audience : 'network',
    hint: t('expertises.form.audienceHint'),
    options: AUDIENCES.map((a) => ({ value: a, label: t(`expertises.audience.${a}`), hint: t(`expertises.audienceHint.${a}`) })),
  }));
  children.push(checkboxField({
    label: forOther ? t('expertises.form.consentOther') : t('expertises.form.consent'), name: 'consent', checked: consentNow,
    hint: forOther ? t('expertises.form.consentOtherHint') : t('expertises.form.consentHint'),
  }));
  const submitLabel = editing ? t('expertises.form.save') : (forOther ? t('expertises.form.createOther') : t('expertises.form.createSelf'));
  children.push(actions(h('button', { type: 'submit', class: 'button', text: submitLabel })));

  const { form } = createForm({
    labelledBy,
    className: 'form form-wide expertise-person-form',
    onSubmit: withFieldErrors(async (values, f) => {
      const body = {
        role: values.role,
        region: values.region || '',
        departements: values.departements,
        phone: values.phone,
        audience: radioValue(f, 'audience') || 'network',
        consent: Boolean(values.consent),
      };
      if (forOther) {
        body.name = values.name;
        body.email = values.email;
      }
      if (orgs) body.org_id = values.org_id ? Number(values.org_id) : null;
      let answer;
      if (editing) {
        answer = await api.patch(`/api/expertise/people/${encodeURIComponent(person.id)}`, body, { signal });
      } else {
        // Said every time: the server's default is « self » for a membre only, and an
        // animateur or admin declaring themselves would otherwise be read as entering
        // someone else (without a name: refused).
        body.self = mode !== 'other-new';
        if (!body.org_id) delete body.org_id;
        answer = await api.post('/api/expertise/people', body, { signal });
      }
      draft.clear();
      await onSaved(answer.person, f);
    }),
    children,
  });
  // What is typed survives a reload (a fiche changed since starts afresh).
  const draft = keepDraft(form, `expertise.person.${mode}.${editing ? `${person.id}.${signature(person)}` : 'new'}`,
    { get: territory.current, set: territory.restore });
  return form;
}

// A short fingerprint of what the person form shows: a draft of another state of the
// fiche is not put back over a newer one.
function signature(person) {
  const text = JSON.stringify([person.name, person.role, person.org && person.org.id, person.territory, person.contact,
    person.audience, person.consent]);
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return (hash >>> 0).toString(36);
}

/** GET /api/expertise/domains once per page: { domains (not archived), roles }. */
export async function loadVocabulary(signal) {
  const v = await api.get('/api/expertise/domains', { signal });
  return {
    domains: (v.domains || []).filter((d) => !d.archived),
    allDomains: v.domains || [],
    roles: v.roles || [],
  };
}
