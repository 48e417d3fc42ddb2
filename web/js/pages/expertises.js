// « Expertises »: the directory of the expertise map. A French full-text search and
// filters (domaine, niveau once a domain is chosen, département, région, rôle) with the
// number of people for each option; results as cards (role, organisation, territory,
// expertises with their level in words, « validée » / « à reconfirmer »), « Afficher
// plus »; empty states that say what to do. Animateurs and administrators may enter
// someone without an account. The state lives in the URL (?q=&domain=&level=...).

import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { compare, t, tn } from '../i18n.js';
import { lists, loadMeta } from '../meta.js';
import {
  entryTags, isManager, levelLabel, loadVocabulary, personForm, roleLine, scopeLabel, subNav, territoryText,
} from '../expertises/common.js';

export const title = 'expertises.title';

const PAGE = 20;
const FILTERS = ['domain', 'level', 'departement', 'region', 'role'];
const corseAsTwenty = (code) => (code === '2A' ? '20.1' : code === '2B' ? '20.2' : code);

function personCard(p, withSnippet) {
  const entries = p.entries || [];
  return h('li', { class: 'card expertise-card' },
    h('h3', { class: 'card-title' },
      h('a', { class: 'card-link', href: `/expertises/personnes/${encodeURIComponent(p.id)}`, text: p.name })),
    h('p', { class: 'card-meta', text: roleLine(p) || t('expertises.noRole') }),
    h('p', { class: 'card-meta', text: t('expertises.territoryLine', { territory: territoryText(p.territory) }) }),
    entries.length
      ? h('ul', { class: 'expertise-entries', 'aria-label': t('expertises.entriesOf', { name: p.name }) },
        entries.map((e) => h('li', { class: 'expertise-entry' },
          h('span', { class: 'expertise-domain', text: e.domain.label }), ' — ',
          h('span', { class: `expertise-level level-${e.level}`, text: levelLabel(e.level) }),
          e.scope && e.scope !== 'local' ? h('span', { class: 'hint', text: ` (${scopeLabel(e.scope).toLowerCase()})` }) : null,
          ' ', entryTags(e))))
      : h('p', { class: 'hint', text: t('expertises.noEntries') }),
    withSnippet && p.snippet ? h('p', { class: 'snippet hint', text: p.snippet }) : null);
}

export async function render(ctx) {
  const { signal, user } = ctx;
  await loadMeta();
  const [vocab, mine, orgsAnswer] = await Promise.all([
    loadVocabulary(signal),
    api.get('/api/expertise/me', { signal }),
    isManager(user) ? api.get('/api/orgs', { signal }) : Promise.resolve({ orgs: [] }),
  ]);
  const query = ctx.query;
  const state = { q: query.get('q') || '', offset: 0 };
  for (const f of FILTERS) state[f] = query.get(f) || '';

  const headingId = uid('titre');
  const resultsId = uid('titre');
  const status = h('p', { class: 'search-status', role: 'status', 'aria-live': 'polite' });
  const results = h('ul', { class: 'cards expertise-results', 'aria-labelledby': resultsId });
  const empty = h('div', { class: 'expertise-empty' });
  const more = h('div', { class: 'form-actions' });
  const errorBox = h('p', { class: 'notice notice-error', role: 'alert', hidden: true });

  // --- The search form ----------------------------------------------------------------
  const inputId = uid('recherche');
  const hintId = uid('aide');
  const input = h('input', {
    id: inputId, type: 'search', name: 'q', autocomplete: 'off', spellcheck: 'true', maxlength: '300',
    'aria-describedby': hintId,
  });
  input.value = state.q;

  const selects = {};
  function filterSelect(name, label) {
    const id = uid(`filtre-${name}`);
    const select = h('select', { id, name });
    selects[name] = select;
    const wrap = h('div', { class: 'field expertise-filter' }, h('label', { for: id, text: label }), select);
    return wrap;
  }
  const domainField = filterSelect('domain', t('expertises.filter.domain'));
  const levelField = filterSelect('level', t('expertises.filter.level'));
  const depField = filterSelect('departement', t('expertises.filter.departement'));
  const regionField = filterSelect('region', t('expertises.filter.region'));
  const roleField = filterSelect('role', t('expertises.filter.role'));

  // Options with their counts from the facets (« Pas-de-Calais (62) — 2 »).
  function withCount(label, n) {
    return n ? t('expertises.filter.optionCount', { label, n }) : label;
  }
  function fillSelect(name, allLabel, options, counts) {
    const select = selects[name];
    const keep = state[name];
    replace(select, h('option', { value: '', text: allLabel }),
      options.map((o) => h('option', { value: o.value, text: withCount(o.label, counts ? counts[o.value] : 0) })));
    select.value = keep;
    if (select.value !== keep) select.value = '';
  }
  function drawFilters(facets = {}) {
    fillSelect('domain', t('expertises.filter.allDomains'),
      vocab.domains.map((d) => ({ value: d.code, label: d.label })), facets.domain);
    const refs = state.domain && facets.referent ? facets.referent[state.domain] : 0;
    fillSelect('level', t('expertises.filter.anyLevel'), [
      { value: 'pratique', label: t('expertises.filter.atLeastPractice') },
      { value: 'referent', label: t('expertises.filter.referent') },
    ], { referent: refs });
    levelField.hidden = !state.domain;
    const region = state.region ? lists.regions().find((r) => r.code === state.region) : null;
    const deps = region ? region.departements : lists.departements();
    fillSelect('departement', t('expertises.filter.allDepartements'),
      // Corse-du-Sud and Haute-Corse (2A, 2B) where the former 20 was, after 19.
      [...deps].sort((a, b) => compare(corseAsTwenty(a.code), corseAsTwenty(b.code))).map((d) => ({ value: d.code, label: `${d.label} (${d.code})` })),
      facets.departement);
    fillSelect('region', t('expertises.filter.allRegions'),
      lists.regions().map((r) => ({ value: r.code, label: r.label })), facets.region);
    fillSelect('role', t('expertises.filter.allRoles'),
      [...vocab.roles].map((r) => ({ value: r.code, label: r.label })), facets.role);
  }

  function params(offset) {
    const p = new URLSearchParams();
    if (state.q) p.set('q', state.q);
    for (const f of FILTERS) if (state[f]) p.set(f, state[f]);
    if (offset) p.set('offset', String(offset));
    p.set('limit', String(PAGE));
    return p;
  }
  function anyFilter() {
    return Boolean(state.q || FILTERS.some((f) => state[f]));
  }

  function clearFilters() {
    input.value = '';
    state.q = '';
    for (const f of FILTERS) state[f] = '';
    refresh({ focus: input });
  }

  function emptyState() {
    if (anyFilter()) {
      return h('div', { class: 'panel' },
        h('p', { text: t('expertises.emptyFiltered') }),
        h('button', { type: 'button', class: 'button button-secondary', text: t('expertises.clearFilters'), onclick: clearFilters }));
    }
    return h('div', { class: 'panel' },
      h('p', { text: t('expertises.emptyNobody') }),
      h('a', { class: 'button', href: '/expertises/moi', text: t('expertises.declareYours') }));
  }

  let controller = null;
  let timer = null;
  let shown = 0;

  async function refresh({ append = false, focus = null } = {}) {
    state.q = input.value.trim();
    const urlParams = params(0);
    urlParams.delete('limit');
    history.replaceState(history.state, '', `/expertises${urlParams.toString() ? `?${urlParams}` : ''}`);
    if (controller) controller.abort();
    controller = new AbortController();
    const local = controller;
    signal.addEventListener('abort', () => local.abort(), { once: true });
    const offset = append ? shown : 0;
    let data;
    try {
      data = await api.get(`/api/expertise/people?${params(offset)}`, { signal: local.signal });
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      errorBox.textContent = err.message;
      errorBox.hidden = false;
      if (err.field && selects[err.field]) selects[err.field].setAttribute('aria-invalid', 'true');
      return;
    }
    errorBox.hidden = true;
    for (const s of Object.values(selects)) s.removeAttribute('aria-invalid');
    const people = data.people || [];
    const firstNew = shown;
    if (append) {
      results.append(...people.map((p) => personCard(p, Boolean(state.q))));
      shown += people.length;
    } else {
      replace(results, people.map((p) => personCard(p, Boolean(state.q))));
      shown = people.length;
    }
    // The index may lag a withdrawal by a moment: a first page without anyone counts none.
    const total = !append && !people.length ? 0 : data.total || 0;
    status.textContent = total
      ? (shown < total ? tn('expertises.countShown', total, { shown }) : tn('expertises.count', total))
      : t('expertises.countNone');
    replace(empty, total ? null : emptyState());
    // Redrawing the selects must not lose the focus of the one just changed.
    const active = document.activeElement;
    const focusedName = active && active.tagName === 'SELECT' && selects[active.name] === active ? active.name : null;
    drawFilters(data.facets || {});
    if (focusedName) selects[focusedName].focus();
    replace(more, shown < total
      ? h('button', {
        type: 'button', class: 'button button-secondary',
        text: tn('expertises.showMore', Math.min(PAGE, total - shown)),
        onclick: () => refresh({ append: true, focus: 'new' }),
      })
      : null);
    if (focus === 'new') {
      const link = results.querySelectorAll('.card-link')[firstNew];
      if (link) link.focus();
    } else if (focus && focus.focus) {
      focus.focus();
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(), 250);
  }, { signal });
  for (const name of FILTERS) {
    selects[name].addEventListener('change', () => {
      state[name] = selects[name].value;
      if (name === 'domain' && !state.domain) state.level = '';
      if (name === 'region' && state.departement) {
        const region = lists.regions().find((r) => r.code === state.region);
        if (region && !region.departements.some((d) => d.code === state.departement)) state.departement = '';
      }
      refresh();
    }, { signal });
  }
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });

  drawFilters();
  const form = h('form', {
    class: 'search-form expertise-search', role: 'search', 'aria-label': t('expertises.searchForm'),
    onsubmit: (e) => {
      e.preventDefault();
      clearTimeout(timer);
      refresh({ focus: results.querySelector('.card-link') ? 'new' : null });
    },
  },
  h('label', { for: inputId, class: 'search-label', text: t('expertises.searchLabel') }),
  h('p', { id: hintId, class: 'hint', text: t('expertises.searchHint') }),
  h('div', { class: 'search-row' }, input, h('button', { type: 'submit', class: 'button', text: t('expertises.search') })),
  h('div', { class: 'expertise-filters' }, domainField, levelField, depField, regionField, roleField));

  await refresh();

  // --- Animateurs: someone without an account -----------------------------------------
  let addSection = null;
  if (isManager(user)) {
    const addId = uid('titre');
    const addForm = personForm({
      mode: 'other-new', roles: vocab.roles, orgs: orgsAnswer.orgs || [], signal, labelledBy: addId,
      onSaved: (person) => ctx.navigate(`/expertises/personnes/${encodeURIComponent(person.id)}/modifier`,
        { flash: t('expertises.createdOther', { name: person.name }), flashKind: 'success' }),
    });
    addSection = h('section', { class: 'block', 'aria-labelledby': addId },
      h('details', { class: 'panel expertise-add' },
        h('summary', {}, h('h2', { id: addId, class: 'expertise-summary-title', text: t('expertises.addTitle') })),
        h('p', { class: 'hint', text: t('expertises.addHint') }),
        addForm));
  }

  return h('section', { class: 'page page-expertises area-expertises', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('expertises.title') }),
    subNav('/expertises'),
    h('p', { class: 'lead', text: t('expertises.directoryLead') }),
    mine.person ? null : h('p', { class: 'notice notice-info expertise-invite' },
      t('expertises.noEntryYet'), ' ', h('a', { href: '/expertises/moi', text: t('expertises.createMine') })),
    form,
    errorBox,
    h('section', { 'aria-labelledby': resultsId },
      h('h2', { id: resultsId, class: 'visually-hidden', text: t('expertises.resultsTitle') }),
      status, empty, results, more),
    addSection);
}
