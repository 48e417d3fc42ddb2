// « Ma fiche d'expertises » (/expertises/moi) and, for animateurs and administrators,
// the same page for someone else's entry (/expertises/personnes/{id}/modifier).
// Without an entry: the form to declare oneself, with the explicit consent. With one:
// whether it appears and to whom (consent withdrawable in one click), « Toujours
// d'actualité » (highlighted when expertises are to reconfirm), each expertise (change
// its level, scope and note, or remove it), a form to add one, and the contact details.

import { api } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { h, replace, uid } from '../dom.js';
import { t, tn } from '../i18n.js';
import { actions, createForm, selectField, textareaField } from '../forms.js';
import { loadMeta } from '../meta.js';
import { absoluteDate } from '../time.js';
import {
  LEVELS, SCOPES, entryTags, isManager, levelLabel, levelScopeText, loadVocabulary, personForm, scopeLabel, subNav,
  validationText, withFieldErrors,
} from '../expertises/common.js';

export function title(ctx) {
  return ctx.params && ctx.params.id ? t('expertises.fiche.titleOther') : t('expertises.fiche.title');
}

function levelSelect(value) {
  return selectField({
    label: t('expertises.entry.level'), name: 'level', value: value || 'pratique',
    hint: t('expertises.entry.levelHint'),
    options: LEVELS.map((l) => ({ value: l, label: levelLabel(l) })),
  });
}

function scopeSelect(value) {
  return selectField({
    label: t('expertises.entry.scope'), name: 'scope', value: value || 'local',
    hint: t('expertises.entry.scopeHint'),
    options: SCOPES.map((s) => ({ value: s, label: scopeLabel(s) })),
  });
}

function noteField(value) {
  return textareaField({
    label: t('expertises.entry.note'), name: 'note', value: value || '', rows: 2,
    hint: t('expertises.entry.noteHint'), attrs: { maxlength: '1000' },
  });
}

export async function render(ctx) {
  const { signal, user } = ctx;
  const otherId = ctx.params && ctx.params.id ? ctx.params.id : null;
  await loadMeta();
  const manager = isManager(user);
  const [vocab, answer, orgsAnswer] = await Promise.all([
    loadVocabulary(signal),
    otherId ? api.get(`/api/expertise/people/${encodeURIComponent(otherId)}`, { signal }) : api.get('/api/expertise/me', { signal }),
    manager && otherId ? api.get('/api/orgs', { signal }) : Promise.resolve(null),
  ]);
  let person = answer.person;
  const isSelf = !person || (person.user_id !== null && person.user_id === user.id);
  const headingId = uid('titre');
  const heading = h('h1', { id: headingId });
  const body = h('div', { class: 'expertise-fiche' });
  const page = h('section', { class: 'page page-expertise-fiche area-expertises', 'aria-labelledby': headingId },
    heading, subNav(otherId ? null : '/expertises/moi'), body);

  const personPath = () => `/api/expertise/people/${encodeURIComponent(person.id)}`;
  const focusLater = (el) => { if (el) requestAnimationFrame(() => el.focus()); };

  // Replaces the page's content with the entry as it now is; `focusKey` names the
  // element that gets the focus (the one whose action just ran, or its section).
  function draw(next, focusKey) {
    person = next;
    heading.textContent = !person ? t('expertises.fiche.title')
      : (isSelf ? t('expertises.fiche.title') : t('expertises.fiche.titleFor', { name: person.name }));
    if (!person) {
      replace(body, declareSection());
      return;
    }
    const parts = {
      visibility: visibilitySection(),
      confirm: confirmSection(),
      entries: entriesSection(),
      add: addSection(),
      details: detailsSection(),
    };
    replace(body, Object.values(parts).map((p) => p.el));
    if (focusKey && parts[focusKey]) focusLater(parts[focusKey].focus);
  }

  async function act(fn, focusKey, message) {
    try {
      const res = await fn();
      if (res && res.person) draw(res.person, focusKey);
      if (message) ctx.announce(message, 'success');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      ctx.announce(err.message, 'error');
    }
  }

  // --- No entry yet: declare oneself ----------------------------------------------------
  function declareSection() {
    const id = uid('titre');
    const form = personForm({
      mode: 'self-new', roles: vocab.roles, signal, labelledBy: id,
      onSaved: (created) => {
        draw(created, 'add');
        ctx.announce(created.consent ? t('expertises.fiche.createdVisible') : t('expertises.fiche.createdHidden'), 'success');
      },
    });
    return h('section', { class: 'panel', 'aria-labelledby': id },
      h('h2', { id, text: t('expertises.fiche.declareTitle') }),
      h('p', { text: t('expertises.fiche.declareLead') }),
      h('p', { class: 'hint', text: t('expertises.fiche.declareAccount', { name: user.name, email: user.email }) }),
      form);
  }

  // --- Who sees it ----------------------------------------------------------------------
  function visibilitySection() {
    const id = uid('titre');
    const toggle = h('button', {
      type: 'button', class: person.consent ? 'button button-secondary' : 'button',
      text: person.consent
        ? (isSelf ? t('expertises.fiche.withdraw') : t('expertises.fiche.withdrawOther'))
        : (isSelf ? t('expertises.fiche.giveConsent') : t('expertises.fiche.giveConsentOther')),
      onclick: () => act(() => api.patch(personPath(), { consent: !person.consent }, { signal }), 'visibility',
        person.consent ? t('expertises.fiche.withdrawn') : t('expertises.fiche.consented')),
    });
    const text = person.consent
      ? t(isSelf ? 'expertises.fiche.visibleTo' : 'expertises.fiche.visibleToOther', { audience: t(`expertises.audience.${person.audience}`).toLowerCase() })
      : t(isSelf ? 'expertises.fiche.hidden' : 'expertises.fiche.hiddenOther');
    return {
      el: h('section', { class: `panel block expertise-visibility ${person.consent ? 'is-visible' : 'is-hidden'}`, 'aria-labelledby': id },
        h('h2', { id, text: t('expertises.fiche.visibilityTitle') }),
        h('p', { 'data-testid': 'visibilite', text }),
        h('div', { class: 'form-actions' },
          toggle,
          h('a', { class: 'button button-secondary', href: `/expertises/personnes/${encodeURIComponent(person.id)}`, text: t('expertises.fiche.seeAsOthers') }))),
      focus: toggle,
    };
  }

  // --- « Toujours d'actualité » ---------------------------------------------------------
  function confirmSection() {
    const entries = person.entries || [];
    if (!entries.length) return { el: null, focus: null };
    const stale = entries.filter((e) => e.stale);
    const id = uid('titre');
    const button = h('button', {
      type: 'button', class: stale.length ? 'button' : 'button button-secondary', text: t('expertises.fiche.stillValid'),
      onclick: () => act(() => api.post(`${personPath()}/confirm`, {}, { signal }), 'confirm', t('expertises.fiche.confirmed')),
    });
    return {
      el: h('section', { class: `panel block${stale.length ? ' panel-highlight expertise-stale' : ''}`, 'aria-labelledby': id },
        h('h2', { id, text: t('expertises.fiche.confirmTitle') }),
        h('p', { text: stale.length
          ? tn('expertises.fiche.staleCount', stale.length, { domains: stale.map((e) => e.domain.label).join(', ') })
          : t('expertises.fiche.allFresh') }),
        h('p', { class: 'hint', text: t('expertises.fiche.confirmHint') }),
        h('div', { class: 'form-actions' }, button)),
      focus: button,
    };
  }

  // --- The expertises ---------------------------------------------------------------------
  function entryItem(e) {
    const editId = uid('modifier');
    const editTitle = uid('titre');
    const toggle = h('button', {
      type: 'button', class: 'button button-secondary button-small', 'aria-expanded': 'false', 'aria-controls': editId,
      'aria-label': t('expertises.entry.editLabel', { domain: e.domain.label }), text: t('common.edit'),
    });
    const remove = h('button', {
      type: 'button', class: 'button button-danger-quiet button-small',
      'aria-label': t('expertises.entry.removeLabel', { domain: e.domain.label }), text: t('expertises.entry.remove'),
      onclick: async () => {
        const ok = await confirmDialog({
          title: t('expertises.entry.removeTitle'), text: t('expertises.entry.removeText', { domain: e.domain.label }),
          confirmLabel: t('expertises.entry.remove'), danger: true, signal,
        });
        if (!ok) return;
        await act(async () => {
          await api.del(`${personPath()}/entries/${encodeURIComponent(e.domain.code)}`, { signal });
          return api.get(personPath(), { signal });
        }, 'entries', t('expertises.entry.removed', { domain: e.domain.label }));
      },
    });
    const { form } = createForm({
      labelledBy: editTitle,
      className: 'form form-grid expertise-entry-form',
      onSubmit: withFieldErrors(async (values) => {
        const res = await api.put(`${personPath()}/entries/${encodeURIComponent(e.domain.code)}`,
          { level: values.level, scope: values.scope, note: values.note }, { signal });
        draw(res.person, 'entries');
        ctx.announce(t('expertises.entry.saved', { domain: e.domain.label }), 'success');
      }),
      children: [
        h('h4', { id: editTitle, class: 'visually-hidden', text: t('expertises.entry.editLabel', { domain: e.domain.label }) }),
        levelSelect(e.level), scopeSelect(e.scope), noteField(e.note),
        actions(h('button', { type: 'submit', class: 'button', text: t('common.save') }),
          h('button', { type: 'button', class: 'button button-secondary', text: t('common.cancel'), onclick: () => setOpen(false) })),
      ],
    });
    const editBox = h('div', { id: editId, class: 'expertise-entry-edit', hidden: true }, form);
    function setOpen(open) {
      editBox.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      if (open) form.querySelector('select').focus();
      else toggle.focus();
    }
    toggle.addEventListener('click', () => setOpen(editBox.hidden));
    const dates = [t('expertises.entry.declared', { date: absoluteDate(e.declared_at) })];
    if (e.confirmed_at) dates.push(t('expertises.entry.confirmedAt', { date: absoluteDate(e.confirmed_at) }));
    return h('li', { class: `expertise-item${e.stale ? ' is-stale' : ''}` },
      h('h3', { class: 'expertise-item-title', text: e.domain.label }),
      h('p', {}, h('strong', { text: levelScopeText(e) }), ' ', entryTags(e)),
      e.note ? h('p', { class: 'expertise-note', text: e.note }) : null,
      h('p', { class: 'hint', text: `${validationText(e)} · ${dates.join(' · ')}` }),
      h('div', { class: 'row-actions' }, toggle, remove),
      editBox);
  }

  function entriesSection() {
    const id = uid('titre');
    const title = h('h2', { id, tabindex: '-1', text: t('expertises.fiche.entriesTitle') });
    const entries = person.entries || [];
    return {
      el: h('section', { class: 'block', 'aria-labelledby': id },
        title,
        entries.length
          ? h('ul', { class: 'expertise-items' }, entries.map(entryItem))
          : h('p', { class: 'panel', text: isSelf ? t('expertises.fiche.noEntries') : t('expertises.fiche.noEntriesOther') })),
      focus: title,
    };
  }

  function addSection() {
    const taken = new Set((person.entries || []).map((e) => e.domain.code));
    const free = vocab.domains.filter((d) => !taken.has(d.code));
    const id = uid('titre');
    const title = h('h2', { id, tabindex: '-1', text: t('expertises.fiche.addTitle') });
    if (!free.length) return { el: null, focus: null };
    const { form } = createForm({
      labelledBy: id,
      className: 'form form-grid expertise-add-form',
      onSubmit: withFieldErrors(async (values) => {
        const domain = vocab.domains.find((d) => d.code === values.domain);
        const res = await api.put(`${personPath()}/entries/${encodeURIComponent(values.domain)}`,
          { level: values.level, scope: values.scope, note: values.note }, { signal });
        draw(res.person, 'add');
        ctx.announce(t('expertises.entry.added', { domain: domain ? domain.label : values.domain, level: levelLabel(values.level) }), 'success');
      }),
      children: [
        selectField({
          label: t('expertises.entry.domain'), name: 'domain', required: true,
          options: [{ value: '', label: t('expertises.entry.domainChoose') }, ...free.map((d) => ({ value: d.code, label: d.label }))],
        }),
        levelSelect('pratique'), scopeSelect('local'), noteField(''),
        actions(h('button', { type: 'submit', class: 'button', text: t('expertises.entry.add') })),
      ],
    });
    return {
      el: h('section', { class: 'panel block', 'aria-labelledby': id },
        title,
        h('p', { class: 'hint', text: t('expertises.fiche.levelsExplained') }),
        form),
      focus: title,
    };
  }

  // --- Contact details and audience ------------------------------------------------------
  function detailsSection() {
    const id = uid('titre');
    const title = h('h2', { id, tabindex: '-1', text: t('expertises.fiche.detailsTitle') });
    const form = personForm({
      mode: 'edit', person, roles: vocab.roles, orgs: !isSelf && orgsAnswer ? orgsAnswer.orgs || [] : null, signal, labelledBy: id,
      onSaved: (saved) => {
        draw(saved, 'details');
        ctx.announce(t('expertises.fiche.detailsSaved'), 'success');
      },
    });
    const remove = h('button', {
      type: 'button', class: 'button button-danger-quiet', text: isSelf ? t('expertises.fiche.delete') : t('expertises.fiche.deleteOther'),
      onclick: async () => {
        const ok = await confirmDialog({
          title: t('expertises.fiche.deleteTitle'), text: isSelf ? t('expertises.fiche.deleteText') : t('expertises.fiche.deleteTextOther', { name: person.name }),
          confirmLabel: t('common.delete'), danger: true, signal,
        });
        if (!ok) return;
        try {
          await api.del(personPath(), { signal });
          if (isSelf) {
            draw(null);
            ctx.announce(t('expertises.fiche.deleted'), 'success');
          } else {
            ctx.navigate('/expertises', { flash: t('expertises.fiche.deletedOther', { name: person.name }), flashKind: 'success' });
          }
        } catch (err) {
          if (err && err.name !== 'AbortError') ctx.announce(err.message, 'error');
        }
      },
    });
    return {
      el: h('section', { class: 'panel block', 'aria-labelledby': id },
        title,
        isSelf ? h('p', { class: 'hint', text: t('expertises.fiche.detailsAccount') }) : null,
        form,
        h('div', { class: 'form-actions expertise-delete' }, remove)),
      focus: title,
    };
  }

  draw(person);
  return page;
}
