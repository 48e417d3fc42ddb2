// « Territoire d'une CPTS »: pick the communes of a prospective CPTS (search as you type by
// name, INSEE code or postal code), read its population, its size (taille 1–4), its seed
// funding, the départements and régions it touches and the CPTS already recorded that
// overlap it; export as CSV; save it with a CPTS when allowed. API: /api/territory
// (docs/api.md, « Territory »).

import { api } from '../api.js';
import { communeLine } from '../communes.js';
import { confirmDialog } from '../dialog.js';
import { h, replace, uid } from '../dom.js';
import { searchResultsKeys } from '../forms.js';
import { t, tn } from '../i18n.js';

export const title = 'territoire.title';

const number = new Intl.NumberFormat('fr-FR');
const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });

/** The CPTS organisations this person may save a territory for. */
function editableCpts(user, orgs) {
  const cpts = orgs.filter((o) => o.type === 'cpts');
  if (user.role === 'admin' || user.role === 'animateur') return cpts;
  const own = user.org && user.org.id;
  return cpts.filter((o) => o.id === own);
}

export async function render(ctx) {
  const { signal, user } = ctx;
  const [meta, orgsAnswer, saved] = await Promise.all([
    api.get('/api/territory/meta', { signal }),
    api.get('/api/orgs', { signal }),
    api.get('/api/territory/cpts', { signal }).catch(() => ({ territories: [] })),
  ]);
  const orgs = orgsAnswer.orgs || [];
  const editable = editableCpts(user, orgs);
  const headingId = uid('titre');
  const pickId = uid('titre');
  const chosenId = uid('titre');
  const summaryId = uid('titre');
  const saveId = uid('titre');

  /** @type {Map<string, object>} code -> commune, in the order picked */
  const chosen = new Map();
  let loadedOrg = null;  // the CPTS whose saved territory is being edited

  // --- Search as you type -------------------------------------------------------------
  const inputId = uid('champ-commune');
  const hintId = uid('aide');
  const statusId = uid('etat');
  const input = h('input', {
    id: inputId, type: 'search', autocomplete: 'off', spellcheck: 'false', maxlength: '100',
    'aria-describedby': hintId, 'aria-controls': uid('resultats'),
  });
  const results = h('ul', { class: 'territory-results', id: input.getAttribute('aria-controls') });
  const status = h('p', { class: 'visually-hidden', id: statusId, role: 'status', 'aria-live': 'polite' });
  let searchController = null;
  let timer = null;

  function resultItem(c) {
    const already = chosen.has(c.code);
    return h('li', { class: 'territory-row' },
      h('span', { class: 'territory-name' },
        h('strong', { text: c.name }), ' ', h('span', { class: 'hint', text: communeLine(c) })),
      h('button', {
        type: 'button', class: 'button button-small', disabled: already,
        'aria-label': already ? t('territoire.alreadyAdded', { name: c.name }) : t('territoire.addLabel', { name: c.name, code: c.code }),
        text: already ? t('territoire.added') : t('territoire.add'),
        onclick: () => { add(c); input.focus(); },
      }));
  }

  async function search() {
    const q = input.value.trim();
    if (searchController) searchController.abort();
    if (q.length < 2 && !/^\d$/.test(q)) {
      replace(results);
      status.textContent = '';
      return;
    }
    searchController = new AbortController();
    const local = searchController;
    signal.addEventListener('abort', () => local.abort(), { once: true });
    try {
      const answer = await api.get(`/api/territory/communes?q=${encodeURIComponent(q)}&limit=15`, { signal: local.signal });
      const list = answer.communes || [];
      replace(results, list.map(resultItem));
      status.textContent = list.length ? tn('territoire.results', list.length) : t('territoire.noResult');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      replace(results);
      status.textContent = err.message;
      showError(err.message);
    }
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  }, { signal });
  // Enter adds the first result (or says it is already there); Down moves to the results' buttons.
  const inputNote = h('p', { class: 'hint', role: 'status' });
  input.addEventListener('input', () => { inputNote.textContent = ''; }, { signal });
  searchResultsKeys({
    input, results, signal,
    onTaken: (button) => { inputNote.textContent = button.getAttribute('aria-label') || ''; },
  });

  // --- The communes picked ------------------------------------------------------------
  const chosenList = h('ul', { class: 'territory-chosen' });
  const chosenCount = h('p', { class: 'hint', 'aria-live': 'polite' });
  const errorBox = h('p', { class: 'notice notice-error', role: 'alert', hidden: true });
  function showError(message) {
    errorBox.textContent = message || '';
    errorBox.hidden = !message;
  }

  function add(c) {
    if (chosen.has(c.code)) return;
    chosen.set(c.code, c);
    refresh(t('territoire.addedAnnounce', { name: c.name }));
    for (const b of results.querySelectorAll('button')) {
      if (b.getAttribute('aria-label') === t('territoire.addLabel', { name: c.name, code: c.code })) {
        b.disabled = true;
        b.textContent = t('territoire.added');
        b.setAttribute('aria-label', t('territoire.alreadyAdded', { name: c.name }));
      }
    }
  }
  function remove(code) {
    const c = chosen.get(code);
    chosen.delete(code);
    refresh(c ? t('territoire.removedAnnounce', { name: c.name }) : '');
    input.focus();
  }
  function renderChosen() {
    const list = [...chosen.values()];
    chosenCount.textContent = tn('territoire.chosenCount', list.length);
    replace(chosenList, list.map((c) => h('li', { class: 'territory-row' },
      h('span', { class: 'territory-name' }, h('strong', { text: c.name }), ' ', h('span', { class: 'hint', text: communeLine(c) })),
      h('button', {
        type: 'button', class: 'button button-small button-danger-quiet',
        'aria-label': t('territoire.removeLabel', { name: c.name }), text: t('territoire.remove'),
        onclick: () => remove(c.code),
      }))));
  }

  // --- Summary ------------------------------------------------------------------------
  const summaryBody = h('div', { class: 'territory-summary', 'aria-live': 'polite' });
  const exportLink = h('a', { class: 'button button-secondary', download: 'territoire-cpts.csv', text: t('territoire.export'), hidden: true });
  let summaryController = null;

  function dl(rows) {
    return h('dl', { class: 'territory-figures' }, rows.map(([term, ...value]) => [h('dt', { text: term }), h('dd', {}, value)]));
  }

  // The CSV of the list as it is, for the CPTS being edited when there is one (its own
  // saved territory is no overlap): set again just before the download, as the CPTS may
  // have been chosen or saved since.
  function setExportHref() {
    const codes = [...chosen.keys()];
    exportLink.href = `/api/territory/export?communes=${encodeURIComponent(codes.join(','))}`
      + (loadedOrg ? `&org_id=${encodeURIComponent(loadedOrg.id)}` : '');
  }
  exportLink.addEventListener('click', setExportHref);

  function overlapsBlock(overlaps) {
    if (!overlaps.length) return h('p', { text: loadedOrg ? t('territoire.noOtherOverlap', { name: loadedOrg.name }) : t('territoire.noOverlap') });
    return h('div', { class: 'notice notice-info territory-overlaps' },
      h('p', { text: t('territoire.overlapWarning') }),
      h('ul', {}, overlaps.map((o) => h('li', {},
        h('a', { href: `/territoire?cpts=${encodeURIComponent(o.org_id)}`, text: o.name }), ' — ',
        tn('territoire.sharedCount', o.communes.length, { names: o.communes.map((c) => c.name).join(', ') })))));
  }

  async function summarise() {
    if (summaryController) summaryController.abort();
    const codes = [...chosen.keys()];
    exportLink.hidden = !codes.length;
    setExportHref();
    if (!codes.length) {
      replace(summaryBody, h('p', { text: t('territoire.emptySummary') }));
      return;
    }
    summaryController = new AbortController();
    const local = summaryController;
    signal.addEventListener('abort', () => local.abort(), { once: true });
    try {
      const body = { communes: codes };
      if (loadedOrg) body.org_id = loadedOrg.id;
      const s = await api.post('/api/territory/summary', body, { signal: local.signal });
      showError('');
      replace(summaryBody,
        dl([
          [t('territoire.population'), h('span', { 'data-testid': 'population', text: t('territoire.inhabitants', { n: number.format(s.population) }) })],
          [t('territoire.size'), h('span', { 'data-testid': 'taille', text: t('territoire.sizeValue', { size: s.size }) })],
          [t('territoire.funding'),
            h('span', { 'data-testid': 'financement', text: t('territoire.fundingValue', { amount: euros.format(s.seed_funding_eur) }) }),
            h('span', { class: 'hint territory-block', text: t('territoire.fundingCoordinator', { amount: euros.format(s.coordinator_funding_eur) }) })],
          [t('territoire.departements'), s.departements.map((d) => `${d.name} (${d.code})`).join(', ')],
          [t('territoire.regions'), s.regions.map((r) => r.name || r.code).join(', ')],
        ]),
        h('h3', { text: t('territoire.overlaps') }),
        overlapsBlock(s.overlaps || []));
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      showError(err.message);
    }
  }

  // The selection outlives a visit elsewhere (back, another page, a reload) in this tab.
  const KEPT = 'relais.territoire.communes';
  function keep() {
    try {
      if (chosen.size) sessionStorage.setItem(KEPT, JSON.stringify([...chosen.keys()]));
      else sessionStorage.removeItem(KEPT);
    } catch { /* storage refused: the page still works */ }
  }
  async function restore() {
    let codes = [];
    try { codes = JSON.parse(sessionStorage.getItem(KEPT) || '[]'); } catch { codes = []; }
    if (!Array.isArray(codes) || !codes.length) return;
    const s = await api.post('/api/territory/summary', { communes: codes.slice(0, 1000) }, { signal });
    for (const c of s.communes || []) chosen.set(c.code, c);
    refresh(tn('territoire.restored', chosen.size));
  }

  function refresh(announcement) {
    keep();
    renderChosen();
    summarise();
    if (announcement) status.textContent = announcement;
  }

  // --- Save with a CPTS, load a saved one ---------------------------------------------
  // The territories saved so far (org id -> { name, n }): saving over one, or with an
  // empty list (which forgets it), is asked first; the lists below follow each save.
  const savedList = (saved.territories || []);
  const savedById = new Map(savedList.map((s) => [String(s.org_id), { name: s.name, n: s.commune_count }]));
  const sameAsSaved = (id) => loadedOrg && String(loadedOrg.id) === String(id);

  const saveSelectId = uid('champ-cpts');
  const saveNoteId = uid('aide');
  const saveSelect = h('select', { id: saveSelectId, 'aria-describedby': saveNoteId },
    h('option', { value: '', text: t('territoire.loadChoose') }),
    editable.map((o) => h('option', { value: String(o.id), text: o.name })));
  // What saving for the CPTS chosen will do (replace its saved territory, say).
  const saveNote = h('p', { class: 'hint', id: saveNoteId });
  // Not `disabled` while saving: the keyboard focus stays on the button.
  const saveButton = h('button', { type: 'button', class: 'button', text: t('territoire.save') });
  const saveStatus = h('p', { class: 'territory-save-status', role: 'status', 'aria-live': 'polite' });
  function drawSaveNote() {
    const id = saveSelect.value;
    const there = id ? savedById.get(id) : null;
    if (!id) saveNote.textContent = t('territoire.saveChooseHint');
    else if (!there) saveNote.textContent = t('territoire.saveNew');
    else if (sameAsSaved(id)) saveNote.textContent = tn('territoire.saveEditing', there.n);
    else saveNote.textContent = tn('territoire.saveReplaces', there.n);
  }
  function saveMessage(text, kind = 'success') {
    saveStatus.className = `territory-save-status status status-${kind}`;
    saveStatus.textContent = text;
  }
  // Choosing a CPTS whose territory is saved, with nothing picked yet, opens that territory.
  saveSelect.addEventListener('change', () => {
    saveMessage('');
    const id = saveSelect.value;
    if (id && !chosen.size && savedById.has(id) && !sameAsSaved(id)) {
      load(id).catch((err) => { if (!(err && err.name === 'AbortError')) showError(err.message); });
    }
    drawSaveNote();
  }, { signal });

  let saving = false;
  async function save() {
    if (saving) return;
    saveMessage('');
    const id = saveSelect.value;
    const org = editable.find((o) => String(o.id) === id) || null;
    if (!id || !org) {
      saveMessage(t('territoire.saveChooseFirst'), 'error');
      saveSelect.focus();
      return;
    }
    const there = savedById.get(id);
    if (!chosen.size) {
      // An empty list forgets the territory: never without a clear confirmation.
      if (!there) {
        saveMessage(t('territoire.saveEmpty'), 'error');
        input.focus();
        return;
      }
      const ok = await confirmDialog({
        title: t('territoire.eraseTitle', { name: org.name }),
        text: tn('territoire.eraseText', there.n, { name: org.name }),
        confirmLabel: t('territoire.eraseConfirm'), danger: true, signal,
      });
      if (!ok) return;
    } else if (there && !sameAsSaved(id)) {
      const ok = await confirmDialog({
        title: t('territoire.replaceSavedTitle', { name: org.name }),
        text: t('territoire.replaceSavedText', {
          name: org.name, before: tn('territoire.communesCount', there.n), after: tn('territoire.communesCount', chosen.size),
        }),
        confirmLabel: t('territoire.replaceSavedConfirm'), signal,
      });
      if (!ok) return;
    }
    saving = true;
    saveButton.setAttribute('aria-disabled', 'true');
    try {
      await api.put(`/api/territory/cpts/${encodeURIComponent(id)}`, { communes: [...chosen.keys()] }, { signal });
      if (chosen.size) {
        savedById.set(id, { name: org.name, n: chosen.size });
        loadedOrg = { id: org.id, name: org.name };
        saveMessage(t('territoire.saved', { name: org.name }));
      } else {
        savedById.delete(id);
        loadedOrg = null;
        saveMessage(t('territoire.erased', { name: org.name }));
      }
      drawLoadOptions();
      drawSaveNote();
      showError('');
      summarise();
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      saveMessage(err.message, 'error');
    } finally {
      saving = false;
      saveButton.removeAttribute('aria-disabled');
    }
  }
  saveButton.addEventListener('click', () => { save(); }, { signal });

  const loadSelectId = uid('champ-charger');
  const loadSelect = h('select', { id: loadSelectId });
  const loadField = h('div', { class: 'field territory-load' });
  function drawLoadOptions() {
    const keep = loadSelect.value;
    const entries = [...savedById.entries()].sort((a, b) => a[1].name.localeCompare(b[1].name, 'fr'));
    replace(loadSelect, h('option', { value: '', text: t('territoire.loadChoose') }),
      entries.map(([orgId, s]) => h('option', { value: orgId, text: tn('territoire.loadOption', s.n, { name: s.name }) })));
    loadSelect.value = savedById.has(keep) ? keep : '';
    loadField.hidden = !savedById.size;
  }
  async function load(id) {
    const got = await api.get(`/api/territory/cpts/${encodeURIComponent(id)}`, { signal });
    chosen.clear();
    for (const c of got.communes || []) chosen.set(c.code, c);
    loadedOrg = got.org;
    if (editable.some((o) => o.id === got.org.id)) saveSelect.value = String(got.org.id);
    saveMessage('');
    drawSaveNote();
    refresh(t('territoire.loaded', { name: got.org.name }));
  }
  const loadButton = h('button', {
    type: 'button', class: 'button button-secondary', text: t('territoire.load'),
    onclick: async () => {
      const id = loadSelect.value;
      if (!id) return;
      // The communes picked so far are replaced only once the person agrees.
      if (chosen.size) {
        const there = savedById.get(id);
        const ok = await confirmDialog({
          title: t('territoire.replacePickedTitle'),
          text: t('territoire.replacePickedText', { picked: tn('territoire.communesCount', chosen.size), name: there ? there.name : '' }),
          confirmLabel: t('territoire.replacePickedConfirm'), signal,
        });
        if (!ok) return;
      }
      load(id).catch((err) => { if (!(err && err.name === 'AbortError')) showError(err.message); });
    },
  });
  drawLoadOptions();
  loadField.append(h('label', { for: loadSelectId, text: t('territoire.loadLabel') }),
    h('div', { class: 'territory-inline' }, loadSelect, loadButton));

  const dataNote = meta.status === 'ready'
    ? t('territoire.dataNote', { year: meta.data_year, version: meta.data_version })
    : t(meta.status === 'missing' ? 'territoire.dataMissing' : 'territoire.dataLoading');

  const dataLine = h('p', { class: 'hint', 'data-testid': 'annee-donnees', text: dataNote });
  // The communes are read in when first asked for: until then, ask again every second.
  if (meta.status === 'loading') {
    const poll = async () => {
      if (signal.aborted) return;
      try {
        const m = await api.get('/api/territory/meta', { signal });
        if (m.status === 'loading') { setTimeout(poll, 1000); return; }
        dataLine.textContent = m.status === 'ready'
          ? t('territoire.dataNote', { year: m.data_year, version: m.data_version })
          : t('territoire.dataMissing');
      } catch { /* the page was left */ }
    };
    setTimeout(poll, 1000);
  }

  const page = h('section', { class: 'page page-territory', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('territoire.title') }),
    h('p', { class: 'lead', text: t('territoire.summary') }),
    dataLine,
    errorBox,
    status,
    h('div', { class: 'territory-layout' },
      h('section', { class: 'panel', 'aria-labelledby': pickId },
        h('h2', { id: pickId, text: t('territoire.pickTitle') }),
        h('div', { class: 'field' },
          h('label', { for: inputId, text: t('territoire.searchLabel') }),
          h('p', { class: 'hint', id: hintId, text: t('territoire.searchHint') }),
          input, inputNote),
        results,
        loadField),
      h('section', { class: 'panel', 'aria-labelledby': chosenId },
        h('h2', { id: chosenId, text: t('territoire.chosenTitle') }),
        chosenCount,
        chosenList)),
    h('section', { class: 'panel block', 'aria-labelledby': summaryId },
      h('h2', { id: summaryId, text: t('territoire.summaryTitle') }),
      h('p', { class: 'hint', text: t('territoire.sizeRule') }),
      summaryBody,
      h('div', { class: 'form-actions' }, exportLink)),
    editable.length ? h('section', { class: 'panel block', 'aria-labelledby': saveId },
      h('h2', { id: saveId, text: t('territoire.saveTitle') }),
      h('p', { class: 'hint', text: t('territoire.saveHint') }),
      h('div', { class: 'field' },
        h('label', { for: saveSelectId, text: t('territoire.saveLabel') }),
        saveNote,
        h('div', { class: 'territory-inline' }, saveSelect, saveButton)),
      saveStatus) : null);

  renderChosen();
  summarise();
  // What opens: the CPTS asked for (?cpts=), else the communes picked earlier in this tab,
  // else the person's own CPTS's saved territory. Never a CPTS chosen for saving over a
  // list that is not its territory: the select then starts on « Choisir une CPTS ».
  const wanted = ctx.query && ctx.query.get ? ctx.query.get('cpts') : null;
  const own = user.org && editable.some((o) => o.id === user.org.id) ? String(user.org.id) : null;
  try {
    if (wanted) await load(wanted);
    else await restore();
    if (!wanted && !chosen.size && own && savedById.has(own)) await load(own);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    showError(err.message);
  }
  // Nothing to erase: a member's only CPTS, without a saved territory, is chosen already.
  if (!saveSelect.value && editable.length === 1 && !savedById.has(String(editable[0].id))) {
    saveSelect.value = String(editable[0].id);
  }
  drawSaveNote();
  return page;
}
