// « Matrice des expertises » (/expertises/matrice): domains × organisations, or domains ×
// départements of a région, each cell counting the référents and practitioners in text
// (colour only helps); CSV downloads of the matrix and of the gaps; below, the gaps:
// domains without référent per département, domains with a single référent, and
// expertises to reconfirm. The view and région live in the URL (?vue=&region=).

import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { t, tn } from '../i18n.js';
import { lists, loadMeta } from '../meta.js';
import { absoluteDate } from '../time.js';
import { levelLabel, subNav } from '../expertises/common.js';

export const title = 'expertises.matrix.title';

function cellClass(c) {
  if (c.referents >= 2) return 'matrix-cell matrix-strong';
  if (c.referents === 1) return 'matrix-cell matrix-single';
  if (c.practitioners > 0) return 'matrix-cell matrix-practice';
  return 'matrix-cell matrix-none';
}

function matrixTable(data, captionText) {
  const captionId = uid('legende');
  const columns = data.columns || [];
  return h('div', { class: 'table-wrap matrix-wrap', tabindex: '0', role: 'region', 'aria-labelledby': captionId },
    h('table', { class: 'table matrix-table' },
      h('caption', { id: captionId, text: captionText }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: t('expertises.matrix.domain') }),
        columns.map((c) => h('th', { scope: 'col', text: c.label })))),
      h('tbody', {}, (data.rows || []).map((r) => h('tr', {},
        h('th', { scope: 'row', text: r.domain.label }),
        (r.cells || []).map((c) => {
          const empty = !c.referents && !c.practitioners;
          return h('td', { class: cellClass(c) },
            empty
              ? [h('span', { 'aria-hidden': 'true', text: '—' }), h('span', { class: 'visually-hidden', text: t('expertises.matrix.nobody') })]
              : [h('span', { 'aria-hidden': 'true', text: t('expertises.matrix.cellShort', { r: c.referents, p: c.practitioners }) }),
                h('span', { class: 'visually-hidden', text: `${tn('expertises.matrix.referents', c.referents)}, ${tn('expertises.matrix.practitioners', c.practitioners)}` })]);
        }))))));
}

export async function render(ctx) {
  const { signal, user } = ctx;
  await loadMeta();
  const regions = lists.regions();
  const orgsAnswer = await api.get('/api/orgs', { signal }).catch(() => ({ orgs: [] }));
  const ownOrg = user.org ? (orgsAnswer.orgs || []).find((o) => o.id === user.org.id) : null;
  const fallbackRegion = (ownOrg && ownOrg.region) || (regions.some((r) => r.code === '32') ? '32' : (regions[0] ? regions[0].code : ''));
  const state = {
    by: ctx.query.get('vue') === 'departement' ? 'departement' : 'organisation',
    region: ctx.query.get('region') || '',
  };
  if (state.by === 'departement' && !state.region) state.region = fallbackRegion;

  const headingId = uid('titre');
  const matrixId = uid('titre');
  const gapsId = uid('titre');
  const matrixBox = h('div', { 'aria-live': 'polite', 'aria-busy': 'false' });
  const gapsBox = h('div', {});
  const downloads = h('ul', { class: 'expertise-downloads' });
  const errorBox = h('p', { class: 'notice notice-error', role: 'alert', hidden: true });

  // --- The controls: view (radio) and région -------------------------------------------
  const viewName = uid('vue');
  const viewRadios = ['organisation', 'departement'].map((v) => {
    const id = uid(`vue-${v}`);
    const input = h('input', { type: 'radio', id, name: viewName, value: v });
    input.checked = state.by === v;
    return { input, el: h('div', { class: 'radio radio-inline' }, input, h('label', { for: id, text: t(`expertises.matrix.by.${v}`) })) };
  });
  const regionId = uid('champ-region');
  const regionHintId = uid('aide');
  const regionSelect = h('select', { id: regionId, 'aria-describedby': regionHintId });
  function drawRegions() {
    replace(regionSelect,
      state.by === 'organisation' ? h('option', { value: '', text: t('expertises.matrix.allRegions') }) : null,
      regions.map((r) => h('option', { value: r.code, text: r.label })));
    regionSelect.value = state.region;
  }
  drawRegions();
  const regionHint = h('p', { class: 'hint', id: regionHintId });

  let controller = null;
  async function refresh() {
    if (controller) controller.abort();
    controller = new AbortController();
    const local = controller;
    signal.addEventListener('abort', () => local.abort(), { once: true });
    const p = new URLSearchParams({ by: state.by });
    if (state.region) p.set('region', state.region);
    const g = new URLSearchParams();
    if (state.region) g.set('region', state.region);
    const url = new URLSearchParams();
    if (state.by === 'departement') url.set('vue', 'departement');
    if (state.region) url.set('region', state.region);
    history.replaceState(history.state, '', `/expertises/matrice${url.toString() ? `?${url}` : ''}`);
    regionHint.textContent = state.by === 'departement' ? t('expertises.matrix.regionHintDep') : t('expertises.matrix.regionHintOrg');
    matrixBox.setAttribute('aria-busy', 'true');
    let matrix;
    let gaps;
    try {
      [matrix, gaps] = await Promise.all([
        api.get(`/api/expertise/matrix?${p}`, { signal: local.signal }),
        api.get(`/api/expertise/gaps${g.toString() ? `?${g}` : ''}`, { signal: local.signal }),
      ]);
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      errorBox.textContent = err.message;
      errorBox.hidden = false;
      matrixBox.setAttribute('aria-busy', 'false');
      return;
    }
    errorBox.hidden = true;
    matrixBox.setAttribute('aria-busy', 'false');
    const regionName = state.region ? (regions.find((r) => r.code === state.region) || {}).label || state.region : '';
    const caption = state.by === 'departement'
      ? t('expertises.matrix.captionDep', { region: regionName })
      : (regionName ? t('expertises.matrix.captionOrgRegion', { region: regionName }) : t('expertises.matrix.captionOrg'));
    replace(matrixBox, (matrix.columns || []).length
      ? matrixTable(matrix, caption)
      : h('p', { class: 'panel', text: t('expertises.matrix.noColumns') }));
    const csv = new URLSearchParams(p);
    csv.set('format', 'csv');
    const gcsv = new URLSearchParams(g);
    gcsv.set('format', 'csv');
    replace(downloads,
      h('li', {}, h('a', { href: `/api/expertise/matrix?${csv}`, download: '', text: t('expertises.matrix.csvMatrix') })),
      h('li', {}, h('a', { href: `/api/expertise/gaps?${gcsv}`, download: '', text: t('expertises.matrix.csvGaps') })));
    drawGaps(gaps, regionName);
  }

  function personLink(p) {
    return h('a', { href: `/expertises/personnes/${encodeURIComponent(p.id)}`, text: p.name });
  }

  function drawGaps(gaps, regionName) {
    const without = gaps.without_referent || [];
    const single = gaps.single_referent || [];
    const stale = gaps.stale || [];
    const ids = [uid('titre'), uid('titre'), uid('titre')];
    const label = (d) => (d && typeof d === 'object' ? d.label || d.code : String(d ?? ''));
    replace(gapsBox,
      h('p', { class: 'hint', text: regionName ? t('expertises.gaps.scopeRegion', { region: regionName }) : t('expertises.gaps.scopeAll') }),
      h('section', { class: 'panel block', 'aria-labelledby': ids[0] },
        h('h3', { id: ids[0], text: t('expertises.gaps.withoutTitle') }),
        without.length
          ? h('ul', { class: 'gap-list' }, without.map((w) => {
            const deps = w.departements || [];
            const names = deps.map((d) => `${d.name || d.code} (${d.code})`).join(', ');
            // A few are read at once; a long list (a whole country) is folded under its count.
            return h('li', {},
              h('strong', { text: label(w.domain) }), '\u00A0: ',
              deps.length <= 8
                ? tn('expertises.gaps.departements', deps.length, { list: names })
                : h('details', { class: 'gap-details' },
                  h('summary', { text: tn('expertises.gaps.departementsCount', deps.length) }),
                  h('p', { text: names })));
          }))
          : h('p', { text: t('expertises.gaps.withoutNone') })),
      h('section', { class: 'panel block', 'aria-labelledby': ids[1] },
        h('h3', { id: ids[1], text: t('expertises.gaps.singleTitle') }),
        single.length
          ? h('ul', { class: 'gap-list' }, single.map((s) => h('li', {},
            h('strong', { text: label(s.domain) }), '\u00A0: ', t('expertises.gaps.onlyOne'), ' ', personLink(s.person))))
          : h('p', { text: t('expertises.gaps.singleNone') })),
      h('section', { class: 'panel block', 'aria-labelledby': ids[2] },
        h('h3', { id: ids[2], text: t('expertises.gaps.staleTitle') }),
        h('p', { class: 'hint', text: tn('expertises.gaps.staleRule', Math.round((gaps.stale_after_days || 365) / 30)) }),
        stale.length
          ? h('ul', { class: 'gap-list' }, stale.map((s) => h('li', {},
            personLink(s.person), ' — ', label(s.domain), ` (${levelLabel(s.level).toLowerCase()})`, ' — ',
            t('expertises.gaps.confirmedOn', { date: absoluteDate(s.confirmed_at) }))))
          : h('p', { text: t('expertises.gaps.staleNone') })));
  }

  for (const { input } of viewRadios) {
    input.addEventListener('change', () => {
      if (!input.checked) return;
      state.by = input.value;
      if (state.by === 'departement' && !state.region) state.region = fallbackRegion;
      drawRegions();
      refresh();
    }, { signal });
  }
  regionSelect.addEventListener('change', () => {
    state.region = regionSelect.value;
    refresh();
  }, { signal });

  await refresh();

  return h('section', { class: 'page page-expertise-matrix area-expertises', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('expertises.matrix.title') }),
    subNav('/expertises/matrice'),
    h('p', { class: 'lead', text: t('expertises.matrix.lead') }),
    h('div', { class: 'panel matrix-controls' },
      h('fieldset', { class: 'fieldset radio-group radio-row' },
        h('legend', { text: t('expertises.matrix.view') }),
        viewRadios.map((r) => r.el)),
      h('div', { class: 'field' },
        h('label', { for: regionId, text: t('expertises.matrix.region') }),
        regionHint,
        regionSelect)),
    errorBox,
    h('section', { class: 'block', 'aria-labelledby': matrixId },
      h('h2', { id: matrixId, text: t('expertises.matrix.tableTitle') }),
      h('p', { class: 'hint', text: t('expertises.matrix.legend') }),
      matrixBox,
      h('h3', { class: 'expertise-downloads-title', text: t('expertises.matrix.downloads') }),
      downloads),
    h('section', { class: 'block', 'aria-labelledby': gapsId },
      h('h2', { id: gapsId, text: t('expertises.gaps.title') }),
      gapsBox));
}
