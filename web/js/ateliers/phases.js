// The phase composer of a workshop page (facilitators): the list of phases with
// their settings and columns, blocks added from the templates, move up / move down /
// remove with buttons (no dragging), saved as a whole with PUT /phases.

import { h, uid } from '../dom.js';
import { t, tn } from '../i18n.js';
import { PHASE_KINDS, kindLabel } from './common.js';

const clone = (value) => JSON.parse(JSON.stringify(value));

/** A key made of [a-z0-9_] from `text`, distinct from `taken`. */
function uniqueKey(text, taken, fallback) {
  const base = String(text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40) || fallback;
  let key = base;
  for (let n = 2; taken.has(key); n += 1) key = `${base}_${n}`;
  return key;
}

function normalisePhase(p) {
  return {
    key: String(p.key || ''),
    title: String(p.title || ''),
    kind: PHASE_KINDS.includes(p.kind) ? p.kind : 'libre',
    duration_min: Number.isFinite(Number(p.duration_min)) ? Number(p.duration_min) : 10,
    // A structured column's fields are kept as they are (not edited here).
    columns: (Array.isArray(p.columns) ? p.columns : []).map((c) => ({
      key: String(c.key || ''), title: String(c.title || ''), help: String(c.help || ''),
      ...(Array.isArray(c.fields) && c.fields.length ? { fields: c.fields } : {}),
    })),
    vote_budget: Number(p.vote_budget) || 0,
    private_notes: Boolean(p.private_notes),
    grouping: Boolean(p.grouping),
  };
}

/**
 * @param {{ phases: object[], templates: object[], onSave: (phases) => Promise<object[]>,
 *           announce: (message: string, kind?: string) => void }} options
 *   onSave resolves with the phases as saved by the server.
 * @returns {HTMLElement}
 */
export function phaseComposer({ phases, templates, onSave, announce }) {
  let items = [];
  const openLids = new Set(); // phases whose settings are unfolded
  const setItems = (list) => {
    items = list.map((p) => ({ lid: uid('phase'), p: normalisePhase(clone(p)) }));
  };
  setItems(phases);
  // What was saved last, to tell unsaved changes (asked before leaving the page).
  const signature = () => JSON.stringify(items.map((i) => i.p));
  let savedSignature = signature();

  const list = h('ol', { class: 'phase-list' });
  const error = h('div', { class: 'form-error', role: 'alert' });

  // ------------------------------------------------------------ render
  function numberField(label, value, min, max, onValue) {
    const id = uid('champ');
    const input = h('input', {
      id, type: 'number', min: String(min), max: String(max), step: '1', inputmode: 'numeric',
      oninput: (e) => onValue(Math.max(min, Math.min(max, Number(e.target.value) || 0))),
    });
    input.value = String(value);
    return h('div', { class: 'field field-small' }, h('label', { for: id, text: label }), input);
  }

  function textField(label, value, onValue, attrs = {}) {
    const id = uid('champ');
    const input = h('input', { id, type: 'text', oninput: (e) => onValue(e.target.value), ...attrs });
    input.value = value;
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), input);
  }

  function checkField(label, checked, onValue) {
    const id = uid('champ');
    const input = h('input', { id, type: 'checkbox', onchange: (e) => onValue(e.target.checked) });
    input.checked = checked;
    return h('div', { class: 'field field-checkbox' }, input, h('label', { for: id, text: label }));
  }

  function moveButton(label, focusKey, disabled, onclick) {
    return h('button', {
      type: 'button', class: 'button button-secondary button-small', text: label,
      'data-focus': focusKey, 'aria-disabled': disabled ? 'true' : null,
      onclick: () => { if (!disabled) onclick(); },
    });
  }

  function columnRow(item, column, index) {
    const p = item.p;
    const n = index + 1;
    return h('li', { class: 'column-row' },
      textField(t('composer.columnTitle', { n }), column.title, (v) => { column.title = v; },
        { maxlength: '200', 'data-focus': `${item.lid}-col-${column.key}` }),
      textField(t('composer.columnHelp', { n }), column.help, (v) => { column.help = v; },
        { maxlength: '1000' }),
      column.fields ? h('p', {
        class: 'hint',
        text: t('composer.columnFields', { labels: column.fields.map((f) => f.label).join(', ') }),
      }) : null,
      h('div', { class: 'row-actions' },
        moveButton(t('composer.columnRemove'), `${item.lid}-col-${column.key}-rm`, p.columns.length <= 1,
          () => {
            p.columns.splice(index, 1);
            draw(`${item.lid}-addcol`);
            announce(t('composer.columnRemoved', { title: column.title }), 'info');
          })));
  }

  function phaseItem(item, index) {
    const p = item.p;
    const headingId = uid('phase-titre');
    const heading = h('h3', { id: headingId, class: 'phase-item-title' });
    const setHeading = () => {
      heading.textContent = t('composer.phaseHeading', { n: index + 1, title: p.title || t('composer.untitled') });
    };
    setHeading();
    const name = p.title || t('composer.untitled');
    const last = index === items.length - 1;
    // The settings fold away (native <details>, keyboard operable) so that the plan
    // reads as a list; the summary says what is inside.
    const summary = h('summary');
    const setSummary = () => {
      summary.textContent = t('composer.settings', {
        kind: kindLabel(p.kind), minutes: p.duration_min, columns: tn('composer.columnCount', p.columns.length),
      });
    };
    setSummary();
    const details = h('details', { class: 'phase-settings', open: openLids.has(item.lid) }, summary);
    details.addEventListener('toggle', () => {
      if (details.open) openLids.add(item.lid);
      else openLids.delete(item.lid);
    });
    details.append(
      h('div', { class: 'phase-fields' },
        textField(t('composer.phaseTitle'), p.title, (v) => { p.title = v; setHeading(); },
          { maxlength: '200', 'data-focus': `${item.lid}-title` }),
        (() => {
          const id = uid('champ');
          const select = h('select', { id, onchange: (e) => { p.kind = e.target.value; setSummary(); } },
            PHASE_KINDS.map((k) => h('option', { value: k, text: kindLabel(k) })));
          select.value = p.kind;
          return h('div', { class: 'field' }, h('label', { for: id, text: t('composer.kind') }), select);
        })(),
        numberField(t('composer.duration'), p.duration_min, 1, 480, (v) => { p.duration_min = v; setSummary(); }),
        numberField(t('composer.voteBudget'), p.vote_budget, 0, 20, (v) => { p.vote_budget = v; })),
      h('div', { class: 'phase-checks' },
        checkField(t('composer.privateNotes'), p.private_notes, (v) => { p.private_notes = v; }),
        checkField(t('composer.grouping'), p.grouping, (v) => { p.grouping = v; })),
      h('fieldset', { class: 'fieldset' },
        h('legend', { text: t('composer.columns') }),
        h('ol', { class: 'column-list' }, p.columns.map((c, i) => columnRow(item, c, i))),
        h('button', {
          type: 'button', class: 'button button-secondary button-small', 'data-focus': `${item.lid}-addcol`,
          text: t('composer.columnAdd'),
          onclick: () => {
            const key = uniqueKey(t('composer.newColumn'), new Set(p.columns.map((c) => c.key)), 'colonne');
            p.columns.push({ key, title: t('composer.newColumn'), help: '' });
            draw(`${item.lid}-col-${key}`);
          },
        })));
    return h('li', { class: 'phase-item panel', 'aria-labelledby': headingId },
      heading,
      details,
      h('div', { class: 'row-actions' },
        moveButton(t('composer.up'), `${item.lid}-up`, index === 0, () => move(index, index - 1, `${item.lid}-up`)),
        moveButton(t('composer.down'), `${item.lid}-down`, last, () => move(index, index + 1, `${item.lid}-down`)),
        h('button', {
          type: 'button', class: 'button button-danger-quiet button-small', 'data-focus': `${item.lid}-rm`,
          text: t('composer.remove'), 'aria-label': t('composer.removeNamed', { title: name }),
          'aria-disabled': items.length <= 1 ? 'true' : null,
          onclick: () => {
            if (items.length <= 1) return;
            items.splice(index, 1);
            const next = items[Math.min(index, items.length - 1)];
            draw(`${next.lid}-up`);
            announce(t('composer.removed', { title: name }), 'info');
          },
        })));
  }

  /** Rebuilds the list and puts focus on the control named `focusKey`. */
  function draw(focusKey) {
    list.replaceChildren(...items.map(phaseItem));
    if (focusKey) {
      const target = list.querySelector(`[data-focus="${focusKey}"]`);
      if (target) {
        const details = target.closest('details');
        if (details) details.open = true;
        target.focus();
      }
    }
  }

  function move(from, to, focusKey) {
    const [item] = items.splice(from, 1);
    items.splice(to, 0, item);
    draw(focusKey);
    announce(t('composer.moved', { title: item.p.title, n: to + 1 }), 'info');
  }

  // ------------------------------------------------------------ add a block
  const blockId = uid('champ');
  const blockSelect = h('select', { id: blockId },
    h('option', { value: 'blank', text: t('composer.blankPhase') }),
    templates.map((tpl, ti) => h('optgroup', { label: tpl.name },
      (Array.isArray(tpl.phases) ? tpl.phases : []).map((p, pi) =>
        h('option', { value: `${ti}:${pi}`, text: p.title })))));

  function addBlock() {
    let phase;
    if (blockSelect.value === 'blank') {
      phase = normalisePhase({
        title: t('composer.newPhase'), kind: 'libre', duration_min: 10,
        columns: [{ key: 'idees', title: t('composer.newColumn'), help: '' }],
      });
    } else {
      const [ti, pi] = blockSelect.value.split(':').map(Number);
      phase = normalisePhase(clone(templates[ti].phases[pi]));
    }
    phase.key = uniqueKey(phase.key || phase.title, new Set(items.map((i) => i.p.key)), 'phase');
    const item = { lid: uid('phase'), p: phase };
    items.push(item);
    openLids.add(item.lid);
    draw(`${item.lid}-title`);
    announce(t('composer.added', { title: phase.title, n: items.length }), 'info');
  }

  // ------------------------------------------------------------ save
  const saveButton = h('button', { type: 'button', class: 'button', text: t('composer.save') });
  let saving = false;
  saveButton.addEventListener('click', async () => {
    if (saving) return;
    error.textContent = '';
    const empty = items.find((i) => !i.p.title.trim() || i.p.columns.some((c) => !c.title.trim()));
    if (empty) {
      error.textContent = t('composer.missingTitle');
      draw(`${empty.lid}-title`);
      return;
    }
    saving = true;
    try {
      const saved = await onSave(items.map((i) => ({
        ...i.p,
        title: i.p.title.trim(),
        // The server refuses empty optional strings: an empty help is left out.
        columns: i.p.columns.map((c) => ({
          key: c.key,
          title: c.title.trim(),
          ...(c.help.trim() ? { help: c.help.trim() } : {}),
          ...(c.fields ? { fields: c.fields } : {}),
        })),
      })));
      setItems(saved);
      savedSignature = signature();
      draw();
      announce(t('composer.saved'), 'success');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      error.textContent = err && err.message ? err.message : String(err);
    } finally {
      saving = false;
    }
  });

  draw();
  const composer = h('div', { class: 'composer' },
    error,
    list,
    h('div', { class: 'composer-add' },
      h('div', { class: 'field' }, h('label', { for: blockId, text: t('composer.blockLabel') }), blockSelect),
      h('button', {
        type: 'button', class: 'button button-secondary', text: t('composer.add'), onclick: addBlock,
      })),
    h('div', { class: 'form-actions' }, saveButton));
  /** Whether the plan differs from what was saved last. */
  composer.hasChanges = () => signature() !== savedSignature;
  /** The plan as composed now (to save it as a template). */
  composer.phases = () => items.map((i) => clone(i.p));
  return composer;
}

/** The phases as a read-only ordered list (for participants). */
export function phaseOverview(phases) {
  return h('ol', { class: 'phase-summary' }, (phases || []).map((p) => h('li', {},
    h('span', { class: 'phase-summary-title', text: p.title }), ' ',
    h('span', {
      class: 'hint',
      text: t('atelierNew.phaseDetails', { kind: kindLabel(p.kind), minutes: p.duration_min }),
    }))));
}
