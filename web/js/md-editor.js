// Writing without knowing Markdown: a toolbar over a textarea (titles, bold, italics,
// lists, check-lists, links, tables, quotes), keyboard shortcuts (Ctrl+B, Ctrl+I,
// Ctrl+K), a live preview rendered as the page will show it, and a paste from Word, a
// document or a web page that keeps its structure (html-to-markdown.js). The text stays
// Markdown in the textarea: what is sent is what the preview shows.
//
// The toolbar follows the ARIA toolbar pattern: one tab stop, arrows move between buttons.

import { h, uid } from './dom.js';
import { hasStructure, htmlToMarkdown } from './html-to-markdown.js';
import { t } from './i18n.js';
import { renderMarkdown } from './markdown.js';

/** Replaces the selection with `text` (keeping the browser's undo when it can), then selects [from, to) of it. */
function insert(area, text, from = text.length, to = from) {
  const start = area.selectionStart;
  area.focus();
  // execCommand keeps Ctrl+Z working in Chromium and Firefox; setRangeText elsewhere.
  const done = typeof document.execCommand === 'function' && document.execCommand('insertText', false, text);
  if (!done) {
    area.setRangeText(text, area.selectionStart, area.selectionEnd, 'end');
    area.dispatchEvent(new Event('input', { bubbles: true }));
  }
  area.setSelectionRange(start + from, start + to);
}

/** Wraps the selection in `mark` (or inserts a placeholder, selected). */
function wrap(area, mark, placeholder) {
  const selected = area.value.slice(area.selectionStart, area.selectionEnd);
  const inner = selected || placeholder;
  // Spaces selected around the words stay outside the marks.
  const lead = inner.match(/^\s*/)[0];
  const trail = inner.match(/\s*$/)[0];
  const core = inner.trim() || placeholder;
  insert(area, `${lead}${mark}${core}${mark}${trail}`, lead.length + mark.length, lead.length + mark.length + core.length);
}

/** Puts `prefix` (a function of the line's index) before each selected line, or takes it away; the caret goes to the end. */
function prefixLines(area, prefix, test) {
  const { value } = area;
  const start = value.lastIndexOf('\n', area.selectionStart - 1) + 1;
  let end = value.indexOf('\n', Math.max(area.selectionEnd - (area.selectionEnd > area.selectionStart ? 1 : 0), area.selectionStart));
  if (end < 0) end = value.length;
  const lines = value.slice(start, end).split('\n');
  const all = lines.every((l) => test.test(l));
  const changed = lines.map((l, i) => (all ? l.replace(test, '') : `${prefix(i)}${l.replace(test, '')}`)).join('\n');
  area.setSelectionRange(start, end);
  // The caret ends after the last line (after the marker on an empty line): typing goes on
  // with the text, never over the marker nor over the line.
  insert(area, changed, changed.length);
}

/** Starts a block on its own line (a blank line before and after when there is text around). */
function block(area, text, from, to) {
  const before = area.value.slice(0, area.selectionStart);
  const after = area.value.slice(area.selectionEnd);
  const lead = !before ? '' : before.endsWith('\n\n') ? '' : before.endsWith('\n') ? '\n' : '\n\n';
  const trail = !after ? '\n' : after.startsWith('\n\n') ? '' : after.startsWith('\n') ? '\n' : '\n\n';
  insert(area, lead + text + trail, lead.length + from, lead.length + to);
}

const ACTIONS = [
  { key: 'heading', run: (a) => prefixLines(a, () => '## ', /^#{1,6}\s+/) },
  { key: 'subheading', run: (a) => prefixLines(a, () => '### ', /^#{1,6}\s+/) },
  { key: 'bold', shortcut: 'b', run: (a) => wrap(a, '**', t('editor.boldText')) },
  { key: 'italic', shortcut: 'i', run: (a) => wrap(a, '*', t('editor.italicText')) },
  { key: 'bullets', run: (a) => prefixLines(a, () => '- ', /^\s*[-*+]\s+(?!\[[ xX]\])/) },
  { key: 'numbers', run: (a) => prefixLines(a, (i) => `${i + 1}. `, /^\s*\d+[.)]\s+/) },
  { key: 'checklist', run: (a) => prefixLines(a, () => '- [ ] ', /^\s*[-*+]\s+\[[ xX]\]\s+/) },
  {
    key: 'link',
    shortcut: 'k',
    run: (a) => {
      const selected = a.value.slice(a.selectionStart, a.selectionEnd).trim() || t('editor.linkText');
      const text = `[${selected}](https://)`;
      // The address is selected, ready to be typed or pasted over.
      insert(a, text, selected.length + 3, text.length - 1);
    },
  },
  {
    key: 'table',
    run: (a) => {
      const c = [1, 2, 3].map((n) => t('editor.tableColumn', { n }));
      const text = `| ${c.join(' | ')} |\n| --- | --- | --- |\n|  |  |  |\n|  |  |  |`;
      // After the selection, never in its place: a table does not replace words.
      a.setSelectionRange(a.selectionEnd, a.selectionEnd);
      block(a, text, 2, 2 + c[0].length);
    },
  },
  { key: 'quote', run: (a) => prefixLines(a, () => '> ', /^>\s?/) },
];

/**
 * Enhances a textarea (already in a labelled field): returns the element to put in its
 * place — the toolbar, the textarea and the preview. `signal` ends the listeners.
 */
export function markdownEditor(area, { signal } = {}) {
  const previewId = uid('apercu');
  const buttons = ACTIONS.map((action, i) => {
    const label = t(`editor.${action.key}`);
    const shortcut = action.shortcut ? ` (Ctrl+${action.shortcut.toUpperCase()})` : '';
    const b = h('button', {
      type: 'button', class: `editor-button editor-${action.key}`, tabindex: i === 0 ? '0' : '-1',
      title: label + shortcut, 'aria-label': label + shortcut, 'aria-keyshortcuts': action.shortcut ? `Control+${action.shortcut.toUpperCase()}` : null,
      onclick: () => action.run(area),
    }, h('span', { 'aria-hidden': 'true', class: 'editor-glyph', text: t(`editor.${action.key}Glyph`) }));
    return b;
  });
  const toolbar = h('div', {
    class: 'editor-toolbar', role: 'toolbar', 'aria-label': t('editor.toolbar'), 'aria-controls': area.id,
  }, buttons);
  // Arrows, Home and End move between the buttons (one tab stop for the toolbar).
  toolbar.addEventListener('keydown', (e) => {
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    let next = null;
    if (e.key === 'ArrowRight') next = (at + 1) % buttons.length;
    else if (e.key === 'ArrowLeft') next = (at - 1 + buttons.length) % buttons.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = buttons.length - 1;
    if (next === null) return;
    e.preventDefault();
    buttons[at].tabIndex = -1;
    buttons[next].tabIndex = 0;
    buttons[next].focus();
  }, { signal });

  area.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
    const action = ACTIONS.find((x) => x.shortcut === e.key.toLowerCase());
    if (!action) return;
    e.preventDefault();
    action.run(area);
  }, { signal });

  // A paste with structure (Word, a document, a web page) comes in as Markdown.
  area.addEventListener('paste', (e) => {
    const html = e.clipboardData?.getData('text/html');
    if (!html || !hasStructure(html)) return;
    const markdown = htmlToMarkdown(html);
    if (!markdown) return;
    e.preventDefault();
    // Blocks (headings, lists, paragraphs) start on a line of their own: a blank line
    // before and after, as the toolbar's blocks; the cursor ends after the paste.
    block(area, markdown, markdown.length, markdown.length);
  }, { signal });

  const preview = h('div', { class: 'markdown-preview' });
  let pending = 0;
  const draw = () => preview.replaceChildren(area.value.trim()
    ? renderMarkdown(area.value, { headingOffset: 1 })
    : h('p', { class: 'hint', text: t('editor.previewEmpty') }));
  area.addEventListener('input', () => {
    clearTimeout(pending);
    pending = setTimeout(draw, 150);
  }, { signal });
  draw();

  area.classList.add('editor-text');
  const holder = h('div', { class: 'editor' });
  area.replaceWith(holder);
  holder.append(
    toolbar,
    h('div', { class: 'editor-panes' },
      area,
      h('section', { class: 'editor-preview', 'aria-labelledby': previewId, tabindex: '0' },
        h('h2', { id: previewId, class: 'editor-preview-title', text: t('editor.preview') }), preview)));
  return { element: holder, redraw: draw };
}
