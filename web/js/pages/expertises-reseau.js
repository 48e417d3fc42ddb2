// « Réseau des expertises » (/expertises/reseau): organisations and domains as a graph,
// linked by the people of each organisation who know each domain (line thickness: how
// many; solid: at least one référent, dashed: practice or notions only), to see where
// CPAM, MSA, ARS and URPS complement one another. The same information as text: the
// complementarities table (domains × kinds of institution) and, per domain, who holds it.
// Highlighting an organisation or a domain works from a select (keyboard) or a click on
// the graph. The région lives in the URL (?region=).

import { api } from '../api.js';
import { h, replace, stackTable, uid } from '../dom.js';
import { t, tn } from '../i18n.js';
import { lists, loadMeta } from '../meta.js';
import { subNav } from '../expertises/common.js';

export const title = 'reseau.title';

const SVG = 'http://www.w3.org/2000/svg';
const MAX_ORGS = 25;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c);
  return el;
}

const LABEL_MAX = 56; // characters of a label in the graph (the list below has them whole)
const CHAR_PX = 7.6; // about one character of the graph's labels (14 px), in its units
const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** The graph: organisations (left) and domains (right), one line per pair that has people. */
function graph(data, highlight, onPick) {
  const orgs = [...data.organisations].sort((a, b) => b.people - a.people).slice(0, MAX_ORGS);
  const orgIndex = new Map(orgs.map((o, i) => [String(o.id), i]));
  const domains = data.domains;
  const domainIndex = new Map(domains.map((d, i) => [d.code, i]));
  const row = 30;
  const height = Math.max(orgs.length, domains.length) * row + 20;
  // Room for the labels as they are (up to LABEL_MAX characters) on each side, rather
  // than a fixed width that cuts them short while space is left.
  const orgLabel = (o) => (o.type_label ? `${o.name} (${o.type_label})` : o.name);
  const longest = (labels) => Math.min(LABEL_MAX, Math.max(8, ...labels.map((x) => x.length)));
  const left = Math.round(longest(orgs.map(orgLabel)) * CHAR_PX) + 24;
  const right = left + 240;
  const width = right + Math.round(longest(domains.map((d) => d.label)) * CHAR_PX) + 24;
  const yOrg = (i) => 20 + i * row + (Math.max(orgs.length, domains.length) - orgs.length) * row / 2;
  const yDom = (i) => 20 + i * row + (Math.max(orgs.length, domains.length) - domains.length) * row / 2;
  const lines = [];
  for (const l of data.links) {
    const oi = orgIndex.get(String(l.org_id));
    const di = domainIndex.get(l.domain);
    if (oi === undefined || di === undefined) continue;
    const n = l.people.length;
    const on = !highlight || highlight === `o:${l.org_id}` || highlight === `d:${l.domain}`;
    const y1 = yOrg(oi);
    const y2 = yDom(di);
    lines.push(s('path', {
      d: `M ${left} ${y1} C ${(left + right) / 2} ${y1}, ${(left + right) / 2} ${y2}, ${right} ${y2}`,
      class: `network-edge${l.referents ? '' : ' network-edge-practice'}${on ? '' : ' network-dim'}`,
      'stroke-width': Math.min(2 + n * 1.5, 12),
    }));
  }
  const node = (x, y, label, key, anchor) => {
    const on = !highlight || highlight === key || data.links.some((l) =>
      (highlight === `o:${l.org_id}` && key === `d:${l.domain}`) || (highlight === `d:${l.domain}` && key === `o:${l.org_id}`));
    const g = s('g', { class: `network-node${on ? '' : ' network-dim'}${highlight === key ? ' network-picked' : ''}`, 'data-key': key },
      s('circle', { cx: x, cy: y, r: 6 }),
      s('text', { x: anchor === 'end' ? x - 12 : x + 12, y: y + 5, 'text-anchor': anchor }, clip(label, LABEL_MAX)));
    g.addEventListener('click', () => onPick(highlight === key ? '' : key));
    return g;
  };
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'network-graph', 'aria-hidden': 'true', focusable: 'false' },
    lines,
    orgs.map((o, i) => node(left, yOrg(i), orgLabel(o), `o:${o.id}`, 'end')),
    domains.map((d, i) => node(right, yDom(i), d.label, `d:${d.code}`, 'start')));
}

export async function render(ctx) {
  const { signal } = ctx;
  await loadMeta();
  const regions = lists.regions();
  let region = ctx.query.get('region') || '';
  if (region && !regions.some((r) => r.code === region)) region = '';
  const headingId = uid('titre');
  const graphId = uid('titre');
  const tableId = uid('titre');
  const listId = uid('titre');
  // Focusable, so that the keyboard scrolls it on a phone.
  const graphBox = h('div', { class: 'network-wrap', tabindex: '0', role: 'region', 'aria-label': t('reseau.graphRegion') });
  const tableBox = h('div', {});
  const listBox = h('div', {});
  const intro = h('p', { class: 'hint', 'aria-live': 'polite' });
  const errorBox = h('p', { class: 'notice notice-error', role: 'alert', hidden: true });
  const pickId = uid('champ-evidence');
  const pick = h('select', { id: pickId });
  let data = null;
  let highlight = '';

  function drawGraph() {
    if (!data.links.length) {
      replace(graphBox, h('p', { class: 'panel', text: t('reseau.empty') }));
      return;
    }
    replace(graphBox, graph(data, highlight, (key) => { highlight = key; pick.value = key; drawGraph(); }),
      data.organisations.length > MAX_ORGS ? h('p', { class: 'hint', text: t('reseau.graphCapped', { n: MAX_ORGS }) }) : null);
  }

  function drawPick() {
    replace(pick,
      h('option', { value: '', text: t('reseau.pickNone') }),
      h('optgroup', { label: t('reseau.organisations') },
        data.organisations.map((o) => h('option', { value: `o:${o.id}`, text: o.name }))),
      h('optgroup', { label: t('reseau.domains') },
        data.domains.map((d) => h('option', { value: `d:${d.code}`, text: d.label }))));
    pick.value = highlight;
  }

  function drawTable() {
    // Complementarities: domains × kinds of institution, people in text.
    const types = [];
    for (const c of data.complementarities) for (const x of c.types) if (!types.some((y) => y.type === x.type)) types.push({ type: x.type, label: x.label });
    if (!types.length) { replace(tableBox); return; }
    const captionId = uid('legende');
    const label = (code) => (data.domains.find((d) => d.code === code) || {}).label || code;
    replace(tableBox, h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': captionId },
      // On a phone, one card per domain (no sideways scrolling, the caption in view).
      stackTable(h('table', { class: 'table matrix-table network-table' },
        h('caption', { id: captionId, text: t('reseau.tableCaption') }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('reseau.domain') }),
          types.map((x) => h('th', { scope: 'col', text: x.label })))),
        h('tbody', {}, data.complementarities.map((c) => {
          const held = c.types.length;
          return h('tr', { class: held === 1 ? 'network-single' : null },
            h('th', { scope: 'row' }, label(c.domain), held === 1 ? h('span', { class: 'tag tag-stale', text: t('reseau.singleType') }) : null),
            types.map((x) => {
              const found = c.types.find((y) => y.type === x.type);
              return h('td', { text: found ? tn('reseau.people', found.people) : '—' },
                found ? null : h('span', { class: 'visually-hidden', text: t('reseau.nobody') }));
            }));
        }))))));
  }

  function drawList() {
    const orgName = new Map(data.organisations.map((o) => [String(o.id), o.type_label ? `${o.name} (${o.type_label})` : o.name]));
    const personName = new Map(data.people.map((p) => [p.id, p.name]));
    const held = data.domains.filter((d) => d.people > 0);
    replace(listBox, held.length
      ? h('ul', { class: 'network-list' }, held.map((d) => h('li', { class: 'panel' },
        h('h3', { text: d.label }),
        h('ul', {}, data.links.filter((l) => l.domain === d.code).map((l) => h('li', {},
          h('strong', { text: orgName.get(String(l.org_id)) || t('reseau.noOrg') }), ' — ',
          [l.referents ? tn('reseau.referents', l.referents) : null, l.practitioners ? tn('reseau.practitioners', l.practitioners) : null,
            l.notions ? tn('reseau.notions', l.notions) : null].filter(Boolean).join(', '), ' : ',
          l.people.map((id, i) => [i ? ', ' : '', h('a', { href: `/expertises/personnes/${id}`, text: personName.get(id) || String(id) })])))))))
      : h('p', { class: 'panel', text: t('reseau.empty') }));
  }

  async function refresh() {
    const q = region ? `?region=${encodeURIComponent(region)}` : '';
    history.replaceState(history.state, '', `/expertises/reseau${q}`);
    try {
      data = await api.get(`/api/expertise/network${q}`, { signal });
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      errorBox.textContent = err.message;
      errorBox.hidden = false;
      return;
    }
    errorBox.hidden = true;
    highlight = '';
    intro.textContent = t('reseau.summary', {
      orgs: tn('reseau.orgCount', data.organisations.length),
      people: tn('reseau.peopleCount', data.people.length),
    });
    drawPick();
    drawGraph();
    drawTable();
    drawList();
  }

  const regionId = uid('champ-region');
  const regionSelect = h('select', { id: regionId },
    h('option', { value: '', text: t('reseau.allRegions') }),
    regions.map((r) => h('option', { value: r.code, text: r.label })));
  regionSelect.value = region;
  regionSelect.addEventListener('change', () => { region = regionSelect.value; refresh(); }, { signal });
  pick.addEventListener('change', () => { highlight = pick.value; drawGraph(); }, { signal });
  await refresh();

  return h('section', { class: 'page page-network area-expertises', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('reseau.title') }),
    subNav('/expertises/reseau'),
    h('p', { class: 'lead', text: t('reseau.lead') }),
    h('div', { class: 'panel matrix-controls' },
      h('div', { class: 'field' }, h('label', { for: regionId, text: t('reseau.region') }), regionSelect),
      h('div', { class: 'field' }, h('label', { for: pickId, text: t('reseau.pick') }), pick)),
    errorBox,
    intro,
    h('section', { class: 'block', 'aria-labelledby': graphId },
      h('h2', { id: graphId, text: t('reseau.graphTitle') }),
      h('p', { class: 'hint', text: t('reseau.graphLegend') }),
      graphBox),
    h('section', { class: 'block', 'aria-labelledby': tableId },
      h('h2', { id: tableId, text: t('reseau.tableTitle') }),
      tableBox),
    h('section', { class: 'block', 'aria-labelledby': listId },
      h('h2', { id: listId, text: t('reseau.listTitle') }),
      listBox));
}
