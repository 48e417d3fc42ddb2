// Library search (/bibliotheque): search as you type (words or a question), facets with
// counts, highlighted snippets, spelling suggestion, date range, sort and pages. The
// state lives in the URL (?q=&kind=&phase=...), so a search can be shared and the back
// button works. The filters (facets and dates) sit in a « Filtrer (n) » disclosure, open
// beside the results on a wide screen and closed above them on a phone, with
// « Réinitialiser les filtres » while any is active. No fiche found: ways out (the words
// cleared, every fiche, proposing one), and no sort.

import { api } from '../api.js';
import { isReviewer, itemCard } from '../bibliotheque/common.js';
import { h, replace, uid } from '../dom.js';
import { t } from '../i18n.js';
import { labels, lists, loadMeta } from '../meta.js';

export const title = 'bibliotheque.title';

// The facets, in display order. `codes`: the vocabulary's order of the values (else
// by label, and years newest first).
const codesOf = (list) => () => list().map((x) => x.code);
const FACETS = [
  { key: 'kind', codes: codesOf(lists.kinds), label: labels.kind },
  { key: 'phase', codes: codesOf(lists.phases), label: labels.phase },
  { key: 'mission', codes: codesOf(lists.missions), label: labels.mission },
  { key: 'org_type', codes: null, label: labels.orgType },
  { key: 'region', codes: null, label: labels.region },
  { key: 'year', codes: null, label: (y) => y },
];

function readState(query) {
  const get = (k) => query.get(k) || '';
  const list = (k) => get(k).split(',').filter(Boolean);
  return {
    q: get('q'),
    filters: Object.fromEntries(FACETS.map((f) => [f.key, list(f.key)])),
    from: get('from'),
    to: get('to'),
    sort: get('sort'),
    page: Math.max(1, parseInt(get('page'), 10) || 1),
  };
}

function toParams(state) {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  for (const [k, v] of Object.entries(state.filters)) if (v.length) p.set(k, v.join(','));
  if (state.from) p.set('from', state.from);
  if (state.to) p.set('to', state.to);
  if (state.sort) p.set('sort', state.sort);
  if (state.page > 1) p.set('page', String(state.page));
  return p;
}

export async function render(ctx) {
  await loadMeta(); // the facets' labels
  const state = readState(new URLSearchParams(location.search));

  const status = h('p', { class: 'search-status', role: 'status', 'aria-live': 'polite' });
  const suggestion = h('div', { class: 'search-suggestion' });
  // Nothing found: the ways out (the words taken away, every fiche, proposing one).
  const none = h('div', { class: 'search-none' });
  const results = h('ol', { class: 'cards library-results', 'aria-label': t('biblio.results') });
  const pager = h('nav', { class: 'pager', 'aria-label': t('biblio.pages') });
  const facetsBox = h('div', { class: 'facets' });
  const filterLabel = h('span', { text: t('biblio.filter') });
  const filterSummary = h('summary', {}, filterLabel);
  const filters = h('details', { class: 'filters' }, filterSummary);
  // Closed on a phone (the results come first), open beside them on a wide screen.
  const narrow = window.matchMedia('(max-width: 48rem)');
  filters.open = !narrow.matches;
  const onWidth = () => { filters.open = !narrow.matches; };
  narrow.addEventListener('change', onWidth);
  const typeahead = h('ul', { class: 'typeahead', 'aria-label': t('biblio.typeahead') });

  const inputId = uid('recherche');
  const input = h('input', {
    id: inputId, type: 'search', name: 'q', autocomplete: 'off', spellcheck: 'true', maxlength: '500',
    placeholder: t('biblio.placeholder'), 'aria-describedby': `${inputId}-aide`,
  });
  input.value = state.q;
  const sort = h('select', { id: uid('tri'), name: 'sort' },
    h('option', { value: '', text: state.q ? t('biblio.sortRelevance') : t('biblio.sortNewest') }),
    h('option', { value: 'date', text: t('biblio.sortDate') }));
  sort.value = state.sort;
  const sortField = h('div', { class: 'field-inline' }, h('label', { for: sort.id, text: t('biblio.sort') }), sort);
  const from = h('input', { type: 'date', id: uid('du'), name: 'from', value: state.from || null });
  const to = h('input', { type: 'date', id: uid('au'), name: 'to', value: state.to || null });
  const activeFilters = () => Object.values(state.filters).reduce((n, v) => n + v.length, 0)
    + (from.value || to.value ? 1 : 0);
  const reset = h('button', {
    type: 'button', class: 'button button-secondary button-small', text: t('biblio.resetFilters'), hidden: true,
    onclick: () => {
      for (const list of Object.values(state.filters)) list.length = 0;
      from.value = '';
      to.value = '';
      state.page = 1;
      // The button goes away: the focus goes to the filters it emptied.
      filterSummary.focus();
      refresh();
    },
  });

  let controller = null;
  let timer = null;

  function facetGroup(facet, counts) {
    const selected = state.filters[facet.key];
    const values = new Set([...Object.keys(counts || {}), ...selected]);
    if (!values.size) return null;
    const { label } = facet;
    const order = facet.codes ? facet.codes() : null;
    const ordered = [...values].sort((a, b) => (order
      ? order.indexOf(a) - order.indexOf(b)
      : (facet.key === 'year' ? b.localeCompare(a) : label(a).localeCompare(label(b), 'fr'))));
    return h('fieldset', { class: 'facet' },
      h('legend', { text: t(`biblio.facet.${facet.key}`) }),
      ordered.map((code) => {
        const id = uid(`f-${facet.key}`);
        const box = h('input', {
          type: 'checkbox', id, value: code, 'data-facet': facet.key,
          onchange: (e) => {
            const list = state.filters[facet.key];
            if (e.target.checked) list.push(code);
            else list.splice(list.indexOf(code), 1);
            state.page = 1;
            refresh({ focusResults: false });
          },
        });
        box.checked = selected.includes(code);
        return h('div', { class: 'facet-option' }, box,
          h('label', { for: id }, label(code), ' ', h('span', { class: 'count', text: `(${counts?.[code] ?? 0})` })));
      }));
  }

  function pageButton(label, page, current = false) {
    return h('button', {
      type: 'button', class: current ? 'button button-small' : 'button button-secondary button-small',
      'aria-current': current ? 'page' : null,
      onclick: () => { state.page = page; refresh({ focusResults: true }); },
    }, label);
  }

  async function refresh({ focusResults = false, typing = false } = {}) {
    state.q = input.value.trim();
    // Without words there is no relevance: the default order is the newest first.
    sort.options[0].textContent = state.q ? t('biblio.sortRelevance') : t('biblio.sortNewest');
    state.sort = sort.value;
    state.from = from.value;
    state.to = to.value;
    const params = toParams(state);
    history.replaceState(history.state, '', `/bibliotheque${params.toString() ? `?${params}` : ''}`);
    if (controller) controller.abort();
    controller = new AbortController();
    let data;
    try {
      data = await api.get(`/api/library/search?${params}`, { signal: controller.signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      status.textContent = err.message;
      status.classList.add('error-text');
      // What is listed no longer answers what is asked: not left as if it did.
      replace(results);
      replace(pager);
      replace(suggestion);
      return;
    }
    status.classList.remove('error-text');
    const filtering = activeFilters();
    filterLabel.textContent = filtering ? t('biblio.filterCount', { n: filtering }) : t('biblio.filter');
    reset.hidden = filtering === 0;
    const inverted = state.from && state.to && state.from > state.to;
    status.textContent = data.total === 0
      ? t(inverted ? 'biblio.noneInverted' : filtering ? 'biblio.none' : 'biblio.noneNoFilter')
      : t(data.total === 1 ? 'biblio.countOne' : 'biblio.count', { n: data.total });
    const useSuggestion = () => { input.value = data.suggestion; state.page = 1; refresh({ focusResults: true }); };
    let advice = null;
    if (data.fallback === 'corrected' && data.suggestion) {
      // These are already the corrected words' results: say so, nothing to try.
      advice = h('p', {}, t('biblio.correctedShown', { typed: data.query, corrected: data.suggestion }));
    } else if (data.suggestion && data.suggestion !== data.query.toLowerCase()) {
      advice = h('p', {}, t('biblio.tryWith'), ' ',
        h('button', { type: 'button', class: 'link-button', onclick: useSuggestion }, data.suggestion));
    } else if (data.fallback === 'any_word') {
      advice = h('p', { text: t('biblio.anyWord') });
    } else if (data.fallback === 'most_words') {
      advice = h('p', { text: t('biblio.mostWords') });
    }
    replace(suggestion, advice);
    sortField.hidden = data.total === 0;
    const without = toParams({ ...state, q: '', page: 1 });
    replace(none, data.total === 0 ? [
      h('p', { text: t('biblio.noneWays') }),
      h('ul', {},
        state.q ? h('li', {}, h('a', { href: `/bibliotheque${without.toString() ? `?${without}` : ''}`, text: t('biblio.noneClear') })) : null,
        h('li', {}, h('a', { href: '/bibliotheque', text: t('biblio.noneBrowse') })),
        h('li', {}, h('a', { href: '/bibliotheque/proposer', text: t('biblio.noneSubmit') }))),
    ] : []);
    replace(results, data.hits.map((hit) => itemCard(hit)));
    // Redrawing the facets must not lose the keyboard focus of the box just toggled.
    const active = document.activeElement;
    const focused = active && active.dataset && active.dataset.facet ? [active.dataset.facet, active.value] : null;
    replace(facetsBox, FACETS.map((f) => facetGroup(f, data.facets[f.key])));
    if (focused) {
      const again = [...facetsBox.querySelectorAll('input[data-facet]')]
        .find((el) => el.dataset.facet === focused[0] && el.value === focused[1]);
      if (again) again.focus();
    }
    const pages = [];
    if (data.pages > 1) {
      if (data.page > 1) pages.push(pageButton(t('biblio.previous'), data.page - 1));
      // A window of pages around the current one, the first and the last always offered.
      const first = Math.max(1, Math.min(data.page - 3, data.pages - 6));
      const last = Math.min(data.pages, first + 6);
      if (first > 1) pages.push(pageButton('1', 1), h('span', { class: 'pager-gap', 'aria-hidden': 'true', text: '…' }));
      for (let p = first; p <= last; p += 1) pages.push(pageButton(String(p), p, p === data.page));
      if (last < data.pages) {
        pages.push(h('span', { class: 'pager-gap', 'aria-hidden': 'true', text: '…' }), pageButton(String(data.pages), data.pages));
      }
      if (data.page < data.pages) pages.push(pageButton(t('biblio.next'), data.page + 1));
    }
    replace(pager, pages);
    // Titles as you type: the first hits, as links.
    replace(typeahead, typing && state.q.length >= 2
      ? data.hits.slice(0, 5).map((hit) => h('li', {}, h('a', { href: `/bibliotheque/${hit.id}`, text: hit.title })))
      : []);
    if (focusResults) results.querySelector('a')?.focus();
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    state.page = 1;
    timer = setTimeout(() => refresh({ typing: true }), 200);
  });
  // The titles proposed while typing: Down goes into them, Up and Down move, Up from the
  // first comes back; Escape closes them and keeps the words typed (the field's own
  // Escape would erase them).
  input.addEventListener('keydown', (e) => {
    const links = [...typeahead.querySelectorAll('a')];
    if (e.key === 'ArrowDown' && links.length) {
      e.preventDefault();
      links[0].focus();
    } else if (e.key === 'Escape' && links.length) {
      e.preventDefault();
      replace(typeahead);
    }
  });
  typeahead.addEventListener('keydown', (e) => {
    const links = [...typeahead.querySelectorAll('a')];
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (e.key === 'ArrowUp' && at === 0) input.focus();
      else links[Math.max(0, Math.min(links.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))].focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      replace(typeahead);
      input.focus();
    }
  });
  for (const control of [sort, from, to]) {
    control.addEventListener('change', () => { state.page = 1; refresh(); });
  }
  ctx.signal.addEventListener('abort', () => {
    clearTimeout(timer);
    if (controller) controller.abort();
    narrow.removeEventListener('change', onWidth);
  }, { once: true });

  const form = h('form', {
    class: 'search-form', role: 'search',
    onsubmit: (e) => { e.preventDefault(); clearTimeout(timer); state.page = 1; refresh({ focusResults: true }); },
  },
  h('label', { for: inputId, class: 'search-label', text: t('biblio.searchLabel') }),
  h('p', { id: `${inputId}-aide`, class: 'hint', text: t('biblio.searchHint') }),
  h('div', { class: 'search-row' }, input, h('button', { type: 'submit', class: 'button', text: t('biblio.search') })),
  typeahead);

  filters.append(h('div', { class: 'filters-body' },
    h('fieldset', { class: 'facet facet-dates' },
      h('legend', { text: t('biblio.period') }),
      h('div', { class: 'field-inline' }, h('label', { for: from.id, text: t('biblio.from') }), from),
      h('div', { class: 'field-inline' }, h('label', { for: to.id, text: t('biblio.to') }), to)),
    facetsBox));

  await refresh();

  return h('section', { class: 'page page-bibliotheque area-bibliotheque' },
    h('div', { class: 'page-head' },
      h('h1', { text: t('bibliotheque.title') }),
      h('div', { class: 'page-actions' },
        h('a', { class: 'button', href: '/bibliotheque/proposer', text: t('biblio.submit') }),
        h('a', { class: 'button button-secondary', href: '/bibliotheque/mes-contributions', text: t('biblio.mine') }),
        isReviewer(ctx.user)
          ? h('a', { class: 'button button-secondary', href: '/bibliotheque/relecture', text: t('biblio.reviewQueue') }) : null)),
    h('p', { class: 'lead', text: t('bibliotheque.summary') }),
    form,
    h('div', { class: 'library-layout' },
      h('aside', { class: 'library-facets', 'aria-label': t('biblio.filters') }, filters),
      h('div', { class: 'library-main' }, h('div', { class: 'results-head' }, status, sortField, reset), suggestion, none, results, pager,
        h('p', { class: 'hint library-glossary' }, t('glossary.hint'), ' ',
          h('a', { href: '/bibliotheque/glossaire', text: t('glossary.link') })))));
}
