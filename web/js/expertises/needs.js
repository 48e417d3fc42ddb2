// Helpers of the needs pages (« Besoins d'appui »): states and urgencies in words, the
// moves a viewer may make from a state (the server's rules, docs/api.md), and a small
// commune picker (search as you type by name, INSEE code or postal code) for a need's
// territory. API: /api/expertise/needs, /api/territory/communes.

import { api } from '../api.js';
import { communeCodes, communeLine } from '../communes.js';
import { h, replace, uid } from '../dom.js';
import { searchResultsKeys } from '../forms.js';
import { t, tn } from '../i18n.js';

export const STATES = ['open', 'assigned', 'in_progress', 'done', 'closed'];
export const URGENCIES = ['normale', 'prioritaire', 'urgente'];

export const stateLabel = (code) => t(`besoins.state.${code}`);
export const urgencyLabel = (code) => t(`besoins.urgency.${code}`);

/** The state and urgency as tags, in words (colour only helps). */
export function needTags(need) {
  return [
    h('span', { class: `tag need-state need-state-${need.state}`, text: stateLabel(need.state) }),
    // A space between the tags: read aloud, « Ouvert Urgent », not « OuvertUrgent ».
    need.urgency && need.urgency !== 'normale' ? ' ' : null,
    need.urgency && need.urgency !== 'normale'
      ? h('span', { class: `tag need-urgency need-urgency-${need.urgency}`, text: urgencyLabel(need.urgency) })
      : null,
  ];
}

/** « Diagnostic territorial, Financement ». */
export function domainsText(need) {
  return (need.domains || []).map((d) => d.label || d.code).join(', ');
}

/**
 * The moves this viewer may make on the need, as the server allows them: animateurs and
 * administrators make every move; the person assigned starts and finishes.
 * `isAssignee`: the viewer is the person assigned.
 */
export function movesFor(need, { manager, isAssignee }) {
  const all = {
    open: ['closed'],
    assigned: ['in_progress', 'done', 'open', 'closed'],
    in_progress: ['done', 'closed'],
    done: [],
    closed: [],
  }[need.state] || [];
  return all.filter((to) => manager || (isAssignee && (to === 'in_progress' || to === 'done')));
}

const number = new Intl.NumberFormat('fr-FR');

/** « 3 communes, 58 214 habitants — Nord (59) », else the départements, else the région. */
export function needTerritoryText(need) {
  const deps = (need.territory && need.territory.departements) || [];
  const place = deps.length
    ? deps.map((d) => `${d.name || d.code} (${d.code})`).join(', ')
    : (need.territory && need.territory.region ? need.territory.region.name : t('besoins.noTerritory'));
  const communes = need.communes || [];
  if (!communes.length) return place;
  const people = need.population == null ? '' : `, ${tn('besoins.inhabitants', need.population, { pop: number.format(need.population) })}`;
  return `${tn('besoins.communes', communes.length)}${people} — ${place}`;
}

/**
 * Picks communes: a search field (as you type, Enter adds the first result, arrows move
 * through the results) and the list picked, each removable. Returns { el, codes(),
 * set(codes) }. `onChange` is called after each change (to keep a draft).
 */
export function communesPicker({ signal, onChange = () => {} }) {
  /** @type {Map<string, {code: string, name: string, population?: number}>} */
  const chosen = new Map();
  const inputId = uid('champ-communes');
  const hintId = uid('aide');
  const listId = uid('resultats');
  const input = h('input', {
    id: inputId, type: 'search', autocomplete: 'off', spellcheck: 'false', maxlength: '100',
    'aria-describedby': hintId, 'aria-controls': listId,
  });
  const results = h('ul', { class: 'territory-results', id: listId });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const chosenList = h('ul', { class: 'territory-chosen' });
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  let controller = null;
  let timer = null;

  function draw() {
    count.textContent = chosen.size ? tn('besoins.form.communesChosen', chosen.size) : t('besoins.form.communesNone');
    replace(chosenList, [...chosen.values()].map((c) => h('li', { class: 'territory-row' },
      h('span', { class: 'territory-name' }, h('strong', { text: c.name }), ' ', h('span', { class: 'hint', text: communeCodes(c) })),
      h('button', {
        type: 'button', class: 'button button-small button-danger-quiet', text: t('territoire.remove'),
        'aria-label': t('territoire.removeLabel', { name: c.name }),
        onclick: () => { chosen.delete(c.code); draw(); onChange(); input.focus(); status.textContent = t('territoire.removedAnnounce', { name: c.name }); },
      }))));
  }

  function add(c) {
    if (chosen.has(c.code)) return;
    chosen.set(c.code, { code: c.code, name: c.name, postcodes: c.postcodes });
    draw();
    onChange();
    status.textContent = t('territoire.addedAnnounce', { name: c.name });
    replace(results);
    input.value = '';
    input.focus();
  }

  async function search() {
    const q = input.value.trim();
    if (controller) controller.abort();
    if (q.length < 2 && !/^\d$/.test(q)) { replace(results); return; }
    controller = new AbortController();
    const local = controller;
    signal.addEventListener('abort', () => local.abort(), { once: true });
    try {
      const answer = await api.get(`/api/territory/communes?q=${encodeURIComponent(q)}&limit=10`, { signal: local.signal });
      const list = answer.communes || [];
      replace(results, list.map((c) => h('li', { class: 'territory-row' },
        h('span', { class: 'territory-name' }, h('strong', { text: c.name }), ' ',
          h('span', { class: 'hint', text: communeLine(c) })),
        h('button', {
          type: 'button', class: 'button button-small', disabled: chosen.has(c.code),
          text: chosen.has(c.code) ? t('territoire.added') : t('territoire.add'),
          'aria-label': t('territoire.addLabel', { name: c.name, code: c.code }),
          onclick: () => add(c),
        }))));
      status.textContent = list.length ? tn('territoire.results', list.length) : t('territoire.noResult');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      replace(results);
      status.textContent = err.message;
      replace(results, h('li', { class: 'hint', text: err.message }));
    }
  }
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 150); }, { signal });
  searchResultsKeys({ input, results, signal });
  draw();

  const el = h('fieldset', { class: 'fieldset need-communes' },
    h('legend', { text: t('besoins.form.communes') }),
    h('p', { class: 'hint', id: hintId, text: t('besoins.form.communesHint') }),
    h('div', { class: 'field' }, h('label', { for: inputId, text: t('besoins.form.communeSearch') }), input),
    status, results, count, chosenList);
  return {
    el,
    codes: () => [...chosen.keys()],
    list: () => [...chosen.values()],
    set: (list) => {
      chosen.clear();
      for (const c of Array.isArray(list) ? list : []) if (c && typeof c.code === 'string') chosen.set(c.code, { code: c.code, name: String(c.name || c.code), postcodes: Array.isArray(c.postcodes) ? c.postcodes : [] });
      draw();
    },
  };
}
