// Form building blocks: labelled fields, French client-side validation, an error
// region (role="alert") per form, and a submit handler that shows the server's
// French message and marks the field the server named as invalid.

import { confirmDialog } from './dialog.js';
import { h, uid } from './dom.js';
import { t } from './i18n.js';
import { onLeavingWithoutSaving } from './leave-guard.js';
import { absoluteDate } from './time.js';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

function describedBy(...ids) {
  const list = ids.filter(Boolean).join(' ');
  return list || null;
}

function hintElement(hint) {
  if (!hint) return { el: null, id: null };
  const id = uid('aide');
  return { el: h('p', { class: 'hint', id, text: hint }), id };
}

/**
 * A labelled <input>. Options: label, name, type, value, required, autocomplete,
 * hint, password (adds the length rule and its hint), attrs (extra attributes).
 */
export function inputField({
  label, name, type = 'text', value, required = false, autocomplete, hint,
  password = false, attrs = {},
}) {
  const id = uid(`champ-${name}`);
  const help = hintElement(hint ?? (password
    ? t('form.passwordHint', { min: PASSWORD_MIN, max: PASSWORD_MAX }) : null));
  const input = h('input', {
    id, name, type, required, autocomplete,
    spellcheck: type === 'email' || type === 'password' ? 'false' : null,
    'aria-describedby': describedBy(help.id),
    'data-password': password ? 'true' : null,
    ...attrs,
  });
  if (value !== undefined && value !== null) input.value = value;
  input.defaultValue = input.value;
  if (password && type === 'password') {
    // A password chosen for someone else (or for oneself) may be shown to check it:
    // « Afficher » turns it to plain text and back. It stays a secret for the form
    // (kept as typed, never in a draft).
    input.dataset.secret = 'true';
    const show = h('button', {
      type: 'button', class: 'button button-secondary button-small password-show', 'aria-pressed': 'false',
      'aria-controls': id, text: t('form.passwordShow'),
      onclick: () => {
        const shown = input.type === 'password';
        input.type = shown ? 'text' : 'password';
        show.setAttribute('aria-pressed', String(shown));
      },
    });
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), help.el,
      h('div', { class: 'password-field' }, input, show));
  }
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), help.el, input);
}

/** A field whose value is a secret: kept as typed, never saved in a draft. */
function isSecret(el) {
  return el.type === 'password' || el.dataset.secret === 'true';
}

/** A labelled <textarea>. Options: label, name, value, required, hint, rows, attrs. */
export function textareaField({ label, name, value, required = false, hint, rows = 3, attrs = {} }) {
  const id = uid(`champ-${name}`);
  const help = hintElement(hint);
  const area = h('textarea', {
    id, name, required, rows, 'aria-describedby': describedBy(help.id), ...attrs,
  });
  if (value !== undefined && value !== null) area.value = value;
  area.defaultValue = area.value;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), help.el, area);
}

/** A labelled <select>; options are [{ value, label }]. */
export function selectField({ label, name, options, value, hint, required = false }) {
  const id = uid(`champ-${name}`);
  const help = hintElement(hint);
  const select = h('select', { id, name, required, 'aria-describedby': describedBy(help.id) },
    options.map((o) => h('option', { value: o.value, text: o.label })));
  if (value !== undefined && value !== null) select.value = String(value);
  for (const option of select.options) option.defaultSelected = option.selected;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), help.el, select);
}

/** A labelled checkbox. */
export function checkboxField({ label, name, checked = false, hint }) {
  const id = uid(`champ-${name}`);
  const help = hintElement(hint);
  const input = h('input', {
    id, name, type: 'checkbox', 'aria-describedby': describedBy(help.id),
  });
  input.checked = Boolean(checked);
  input.defaultChecked = input.checked;
  return h('div', { class: 'field field-checkbox' },
    input, h('label', { for: id, text: label }), help.el);
}

/** Reads the named controls of a form: checkbox → boolean, others → trimmed string
 * (passwords are kept as typed). Groups of checkboxes sharing a name → array. Disabled
 * controls are left out, unless `withDisabled` (a draft keeps what a closed form holds). */
export function formValues(form, { withDisabled = false } = {}) {
  const values = {};
  const groups = new Set();
  for (const el of form.elements) {
    if (!el.name || (el.disabled && !withDisabled)) continue;
    if (el.type === 'checkbox' && el.dataset.group === 'true') {
      groups.add(el.name);
      if (!values[el.name]) values[el.name] = [];
      if (el.checked) values[el.name].push(el.value);
    } else if (el.type === 'checkbox') {
      values[el.name] = el.checked;
    } else if (el.type === 'radio') {
      if (el.checked) values[el.name] = el.value;
      else if (!(el.name in values)) values[el.name] = '';
    } else if (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA') {
      values[el.name] = isSecret(el) ? el.value : el.value.trim();
    }
  }
  for (const name of groups) if (!values[name]) values[name] = [];
  return values;
}

function labelOf(el) {
  const label = el.labels && el.labels[0];
  return label ? label.textContent.trim() : el.name;
}

function codePoints(text) {
  return [...text].length;
}

/** { el, message } when this control is invalid, else null. */
function problemOf(el) {
  if (!el.name || el.disabled || el.type === 'checkbox') return null;
  const value = isSecret(el) ? el.value : el.value.trim();
  if (el.required && value === '') {
    return { el, message: t('form.missing', { label: labelOf(el) }) };
  }
  // Not the browser's own check: it refuses accented addresses (élodie@…), which Relais takes.
  if (value !== '' && el.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(value)) {
    return { el, message: t('form.invalidEmail', { label: labelOf(el) }) };
  }
  if (value !== '' && el.dataset.password === 'true') {
    const n = codePoints(value);
    if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
      return { el, message: t('form.passwordLength', { min: PASSWORD_MIN, max: PASSWORD_MAX }) };
    }
  }
  return null;
}

/** Every invalid control, in the form's order (a radio group once). */
function validate(form) {
  const problems = [];
  const names = new Set();
  for (const el of form.elements) {
    if (names.has(el.name)) continue;
    const problem = problemOf(el);
    if (problem) {
      problems.push(problem);
      names.add(el.name);
    }
  }
  return problems;
}

/** Finds the control the server named in `error.field` (e.g. "org_id"). */
function controlFor(form, field) {
  if (!field) return null;
  const named = form.elements.namedItem(field);
  if (named instanceof RadioNodeList) return named[0] || null;
  return named;
}

/**
 * Builds a <form> with an accessible name and an error region, and wires submit:
 * client validation, then `await onSubmit(values, form)`. While a submission is in
 * flight, further submits are ignored (buttons are not disabled, so that keyboard
 * focus is never lost). Errors from onSubmit are shown in the region and the field
 * named by the server is marked invalid and focused.
 *
 * @returns {{ form: HTMLFormElement, showError: (message: string, el?: Element) => void,
 *             clearError: () => void }}
 */
// The server's message for champ_invalide when it has nothing more precise to say.
const GENERIC_INVALID = 'Un champ est absent ou invalide.';

export function createForm({ labelledBy, label, className = 'form', onSubmit, children = [] }) {
  const region = h('div', { class: 'form-error', role: 'alert' });
  const form = h('form', {
    class: className,
    novalidate: true,
    'aria-labelledby': labelledBy || null,
    'aria-label': labelledBy ? null : label,
  }, region, children);

  // A field's own message, under it and read with it (aria-describedby); a group of boxes
  // (a fieldset) has it under its legend, in view above a long list. One message per
  // field: marking it again rewrites its message.
  function markField(el, message) {
    el.setAttribute('aria-invalid', 'true');
    const holder = el.closest('.field, fieldset') || el.parentElement;
    if (!holder) return;
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    const already = ids.map((id) => document.getElementById(id)).find((n) => n && n.classList.contains('field-error'));
    if (already) {
      already.textContent = message;
      return;
    }
    const note = h('p', { class: 'field-error', id: uid('erreur'), text: message });
    const legend = holder.tagName === 'FIELDSET' ? holder.querySelector(':scope > legend') : null;
    if (legend) legend.after(note);
    else holder.append(note);
    el.setAttribute('aria-describedby', [...ids, note.id].join(' '));
  }

  function unmarkField(el) {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    const kept = [];
    for (const id of ids) {
      const note = document.getElementById(id);
      if (note && note.classList.contains('field-error')) note.remove();
      else kept.push(id);
    }
    if (kept.length) el.setAttribute('aria-describedby', kept.join(' '));
    else el.removeAttribute('aria-describedby');
  }

  function clearError() {
    region.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) unmarkField(el);
  }

  function showErrors(problems) {
    clearError();
    const [first, ...others] = problems;
    // The first message above the form (announced), every one under its field.
    region.textContent = others.length
      ? `${first.message} ${t(others.length === 1 ? 'form.moreErrorsOne' : 'form.moreErrors', { n: others.length })}`
      : first.message;
    for (const p of problems) markField(p.el, p.message);
    first.el.focus();
  }

  function showError(message, el) {
    clearError();
    region.textContent = message;
    if (el) {
      markField(el, message);
      el.focus();
    } else if (region.scrollIntoView) {
      // No field to focus (a conflict, say): the message is brought into view, not left
      // far above the button that was pressed.
      region.scrollIntoView({ block: 'nearest' });
    }
  }

  // A field marked invalid is no longer so once it is changed; when none is left, the
  // message goes too (a message about no field stays until the next submission).
  form.addEventListener('input', (event) => {
    let el = event.target;
    if (!(el instanceof Element)) return;
    // A group of boxes is marked on its first box: ticking another one corrects it too.
    if (el.getAttribute('aria-invalid') !== 'true' && el.name) {
      el = form.querySelector(`[name="${CSS.escape(el.name)}"][aria-invalid="true"]`) || el;
    }
    if (el.getAttribute('aria-invalid') !== 'true') return;
    unmarkField(el);
    // The message above says what is left to correct (nothing once all is fixed).
    const left = [...form.querySelectorAll('[aria-invalid="true"]')];
    if (!left.length) {
      region.textContent = '';
    } else if (form.querySelector('.field-error')) {
      const notes = [...form.querySelectorAll('.field-error')];
      const others = notes.length - 1;
      region.textContent = others > 0
        ? `${notes[0].textContent} ${t(others === 1 ? 'form.moreErrorsOne' : 'form.moreErrors', { n: others })}`
        : notes[0].textContent;
    }
  });

  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    clearError();
    const problems = validate(form);
    if (problems.length) {
      showErrors(problems);
      return;
    }
    busy = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await onSubmit(formValues(form), form);
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      const el = controlFor(form, err && err.field);
      let message = err && err.message ? err.message : String(err);
      // The catalogue's general message names no field: name the one the server pointed at.
      if (el && err.code === 'champ_invalide' && message === GENERIC_INVALID) {
        const label = el.id ? form.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
        if (label) message = t('form.fieldInvalid', { label: label.textContent.trim() });
      }
      showError(message, el);
    } finally {
      busy = false;
      form.removeAttribute('aria-busy');
    }
  });

  return { form, showError, clearError };
}

// Made out of keepDraft's scope: the function held for « Quitter sans enregistrer »
// must not hold the form (its closure would keep every variable of that scope).
function forgetDraft(storageKey) {
  return () => {
    try { sessionStorage.removeItem(storageKey); } catch { /* nothing kept */ }
  };
}

/**
 * Keeps what is typed in `form` (sessionStorage, key `relais.draft.<key>`) and puts it
 * back when the form is drawn again: a reload, a refused submission or a tab reopened
 * never loses typed text. Call `clear()` once the server has accepted it. `extra` adds
 * state that lives outside the form's controls ({ get: () => value, set: (value) => … }).
 *
 * A form back to what it was drawn with keeps no draft; choosing « Quitter sans
 * enregistrer » (leave-guard.js) throws the drafts of the page away. `restored` and
 * `savedAt` say whether (and when) a draft was put back; `changed()` whether the form
 * differs from what it showed once the draft was put back (a draft put back and left
 * untouched is no new change: it is kept, and said by `draftNotice`).
 */
export function keepDraft(form, key, extra = null) {
  const storageKey = `relais.draft.${key}`;
  const snapshot = () => {
    const values = formValues(form, { withDisabled: true });
    for (const el of form.elements) if (el.name && isSecret(el)) delete values[el.name];
    return { values, extra: extra ? extra.get() : undefined };
  };
  // What the form was drawn with: nothing worth keeping.
  const pristine = JSON.stringify(snapshot());
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(storageKey) || 'null');
  } catch { /* storage unavailable or unreadable: nothing to restore */ }
  if (saved && typeof saved === 'object') {
    const values = saved.values || {};
    for (const el of form.elements) {
      if (!el.name || !(el.name in values) || isSecret(el) || el.type === 'file') continue;
      const v = values[el.name];
      if (el.type === 'checkbox' && el.dataset.group === 'true') el.checked = Array.isArray(v) && v.includes(el.value);
      else if (el.type === 'checkbox') el.checked = Boolean(v);
      else if (el.type === 'radio') el.checked = el.value === v;
      else if (typeof v === 'string' && (el.tagName !== 'SELECT' || [...el.options].some((o) => o.value === v))) el.value = v;
    }
    if (extra && 'extra' in saved) extra.set(saved.extra);
  } else {
    saved = null;
  }
  let shown = JSON.stringify(snapshot());
  const clear = () => {
    try { sessionStorage.removeItem(storageKey); } catch { /* nothing kept */ }
  };
  const save = () => {
    try {
      // Passwords are never written down, even in the tab's storage. A form disabled for
      // a while (a locked board) still holds text to keep.
      const now = snapshot();
      if (JSON.stringify(now) === pristine) clear();
      else sessionStorage.setItem(storageKey, JSON.stringify({ ...now, at: new Date().toISOString() }));
    } catch { /* full or unavailable: the text stays in the page */ }
  };
  form.addEventListener('input', save);
  form.addEventListener('change', save);
  // « Quitter sans enregistrer »: what this form holds is let go.
  onLeavingWithoutSaving(form, forgetDraft(storageKey));
  return {
    save,
    restored: Boolean(saved),
    savedAt: saved && typeof saved.at === 'string' ? saved.at : null,
    changed: () => JSON.stringify(snapshot()) !== shown,
    /** Whether a draft is kept in the tab's storage now. */
    stored: () => {
      try { return sessionStorage.getItem(storageKey) !== null; } catch { return false; }
    },
    /** The form as it is now is the reference of `changed()` (after a reset, say). */
    settle: () => { shown = JSON.stringify(snapshot()); },
    clear,
  };
}

/**
 * The notice of a draft put back (« Brouillon repris (enregistré le …) »), with
 * « Effacer le brouillon »: confirmed first, then `onClear()` puts the form back as it
 * was drawn (the page knows how) and the notice says it is done.
 */
export function draftNotice(draft, { onClear, signal } = {}) {
  const text = draft.savedAt && absoluteDate(draft.savedAt)
    ? t('form.draftRestored', { date: absoluteDate(draft.savedAt) }) : t('form.draftRestoredUndated');
  const words = h('span', { text });
  const notice = h('div', { class: 'notice notice-info draft-notice', tabindex: '-1' });
  const button = h('button', {
    type: 'button', class: 'button button-secondary button-small', text: t('form.draftClear'),
    onclick: async () => {
      const ok = await confirmDialog({
        title: t('form.draftClearTitle'), text: t('form.draftClearText'), confirmLabel: t('form.draftClear'), danger: true, signal,
      });
      if (!ok) return;
      if (onClear) onClear();
      // After the page's reset (whose events may have saved the form again).
      draft.clear();
      draft.settle();
      // The button is gone: the keyboard stays on the notice, which says it is done.
      button.remove();
      words.textContent = t('form.draftCleared');
      notice.focus();
    },
  });
  notice.append(h('span', { role: 'status' }, words), ' ', button);
  return notice;
}

/**
 * Keyboard use of a search field and its list of result buttons (search as you type):
 * Enter in the field presses the first enabled result; Down moves into the results; Up
 * and Down move between them, Up from the first goes back to the field.
 */
export function searchResultsKeys({ input, results, signal, onTaken }) {
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      // The first result, the one the person sees first: never the next one behind it
      // when the first is already taken (`onTaken` says so).
      const first = results.querySelector('button');
      if (first && !first.disabled) first.click();
      else if (first && onTaken) onTaken(first);
    } else if (e.key === 'ArrowDown') {
      const first = results.querySelector('button');
      if (first) { e.preventDefault(); first.focus(); }
    }
  }, { signal });
  results.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const buttons = [...results.querySelectorAll('button')];
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    e.preventDefault();
    if (e.key === 'ArrowUp' && at === 0) input.focus();
    else buttons[Math.max(0, Math.min(buttons.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))].focus();
  }, { signal });
}

/** Row of form buttons. */
export function actions(...buttons) {
  return h('div', { class: 'form-actions' }, buttons);
}

export function submitButton(label, className = 'button') {
  return h('button', { type: 'submit', class: className, text: label });
}
