// A person of the expertise map (/expertises/personnes/{id}): role, organisation,
// territory, contact (e-mail and phone as links), and each expertise with its level,
// scope, note and state (validated by whom, to reconfirm). An animateur or administrator
// of the person's organisation validates an expertise or withdraws the validation here;
// whoever may edit the entry finds the link to its form.

import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { t } from '../i18n.js';
import { absoluteDate } from '../time.js';
import { entryTags, levelScopeText, roleLine, subNav, territoryText, validationText } from '../expertises/common.js';

// The person's name once it is read (the tab and the history show it).
let pageTitle = '';
export const title = () => (pageTitle ? t('expertises.person.titleFor', { name: pageTitle }) : t('expertises.person.title'));

function row(term, ...value) {
  return h('div', { class: 'details-row' }, h('dt', { text: term }), h('dd', {}, value));
}

export async function render(ctx) {
  const { signal, user } = ctx;
  const id = ctx.params.id;
  const path = `/api/expertise/people/${encodeURIComponent(id)}`;
  let person = (await api.get(path, { signal })).person;
  const headingId = uid('titre');
  const heading = h('h1', { id: headingId });
  const body = h('div', {});

  function entryItem(e) {
    const children = [
      h('h3', { class: 'expertise-item-title', text: e.domain.label }),
      h('p', {}, h('strong', { text: levelScopeText(e) }), ' ', entryTags(e)),
      e.note ? h('p', { class: 'expertise-note', text: e.note }) : null,
      h('p', { class: 'hint', text: validationText(e) }),
      h('p', { class: 'hint', text: e.stale
        ? t('expertises.person.staleSince', { date: absoluteDate(e.confirmed_at || e.declared_at) })
        : t('expertises.entry.confirmedAt', { date: absoluteDate(e.confirmed_at || e.declared_at) }) }),
    ];
    if (person.may_validate) {
      const valid = Boolean(e.validated);
      children.push(h('div', { class: 'row-actions' }, h('button', {
        type: 'button', class: valid ? 'button button-secondary button-small' : 'button button-small',
        'aria-label': valid ? t('expertises.person.unvalidateLabel', { domain: e.domain.label })
          : t('expertises.person.validateLabel', { domain: e.domain.label }),
        'data-domain': e.domain.code,
        text: valid ? t('expertises.person.unvalidate') : t('expertises.person.validate'),
        onclick: async () => {
          try {
            const res = await api.post(`${path}/entries/${encodeURIComponent(e.domain.code)}/validation`, { valid: !valid }, { signal });
            draw(res.person, e.domain.code);
            ctx.announce(t(valid ? 'expertises.person.unvalidated' : 'expertises.person.validatedDone', { domain: e.domain.label }), 'success');
          } catch (err) {
            if (err && err.name !== 'AbortError') ctx.announce(err.message, 'error');
          }
        },
      })));
    }
    return h('li', { class: `expertise-item${e.stale ? ' is-stale' : ''}` }, children);
  }

  function draw(next, focusDomain) {
    person = next;
    heading.textContent = person.name;
    pageTitle = person.name;
    const mine = person.user_id !== null && person.user_id === user.id;
    const contact = person.contact || {};
    const entriesId = uid('titre');
    const entries = person.entries || [];
    replace(body,
      person.may_edit ? h('div', { class: 'page-actions' },
        h('a', {
          class: 'button button-secondary',
          href: mine ? '/expertises/moi' : `/expertises/personnes/${encodeURIComponent(person.id)}/modifier`,
          text: mine ? t('expertises.person.editMine') : t('expertises.person.edit'),
        })) : null,
      !person.consent ? h('p', { class: 'notice notice-info', text: t('expertises.person.notShown') }) : null,
      h('dl', { class: 'details panel block' },
        row(t('expertises.person.role'), person.role ? person.role.label : t('expertises.noRole')),
        row(t('expertises.person.org'), person.org ? person.org.name : t('expertises.person.noOrg')),
        row(t('expertises.person.territory'), territoryText(person.territory)),
        row(t('expertises.person.email'), contact.email
          ? h('a', { href: `mailto:${contact.email}`, text: contact.email }) : t('common.notSet')),
        row(t('expertises.person.phone'), contact.phone
          ? h('a', { href: `tel:${contact.phone.replace(/[^0-9+]/g, '')}`, text: contact.phone }) : t('common.notSet')),
        row(t('expertises.person.audience'), t(`expertises.audience.${person.audience}`))),
      h('section', { class: 'block', 'aria-labelledby': entriesId },
        h('h2', { id: entriesId, text: t('expertises.person.entriesTitle') }),
        person.may_validate ? h('p', { class: 'hint', text: t('expertises.person.validateHint') }) : null,
        entries.length
          ? h('ul', { class: 'expertise-items' }, entries.map(entryItem))
          : h('p', { class: 'panel', text: t('expertises.person.noEntries') })));
    if (focusDomain) {
      const again = body.querySelector(`button[data-domain="${CSS.escape(focusDomain)}"]`);
      if (again) again.focus();
    }
  }

  draw(person);
  return h('section', { class: 'page page-expertise-person area-expertises', 'aria-labelledby': headingId },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/expertises', text: t('expertises.person.back') })),
    heading,
    subNav(null),
    h('p', { class: 'lead', text: roleLine(person) }),
    body);
}
