// Small DOM helpers. Text always goes through textContent / text nodes, never
// through innerHTML, so data from the server can never become markup.

let idCounter = 0;

/** A document-unique id with a readable prefix. */
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * Creates an element.
 *   h('button', { type: 'button', class: 'button', onclick: fn }, 'Texte')
 * Attributes: `class`, `text`, `for`, `on<event>` (listener), booleans (set when
 * true, omitted when false), `null`/`undefined` (omitted), anything else via
 * setAttribute. Children: nodes, strings (as text), arrays, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else if (name === 'for') el.htmlFor = value;
    else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, nested arrays; null/false skipped). */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Text hidden visually but read by screen readers. */
/** A decorative one-path icon (hidden from assistive technology: the control's words name it). */
export function svgIcon(className, size, d) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of [['class', className], ['viewBox', '0 0 24 24'], ['width', String(size)], ['height', String(size)],
    ['aria-hidden', 'true'], ['focusable', 'false']]) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', d);
  svg.append(path);
  return svg;
}

export function srOnly(text) {
  return h('span', { class: 'visually-hidden', text });
}

/** Replaces every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/**
 * A table that becomes a list of cards on a phone (CSS `.table-stack`): each cell is
 * labelled with its column's header (`data-label`, shown before it), again whenever
 * the rows are drawn again. Returns the table.
 */
export function stackTable(table) {
  table.classList.add('table-stack');
  const label = () => {
    const heads = [...(table.tHead?.rows[0]?.cells || [])].map((c) => c.textContent.trim());
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        [...row.cells].forEach((cell, i) => {
          if (heads[i] && !cell.hasAttribute('colspan')) cell.dataset.label = heads[i];
        });
      }
    }
  };
  label();
  new MutationObserver(label).observe(table, { childList: true, subtree: true });
  return table;
}
