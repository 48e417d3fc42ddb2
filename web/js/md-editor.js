// Writing without knowing Markdown: a toolbar over a textarea (titles, bold, italics,
// lists, check-lists, links, tables, quotes), keyboard shortcuts (Ctrl+B, Ctrl+I,
// Ctrl+K), a live preview rendered as the page will show it, and a paste from Word, a
// document or a web page that keeps its structure (html-to-markdown.js; the images it
// drops are said). The text stays Markdown in the textarea: what is sent is what the
// preview shows. As in a word processor: bold and italics are toggles (the caret never
// stays caught in the marks), Enter goes on with a list and ends it on an empty item,
// and a link is asked for in a dialog (its text and address), the caret after it.
//
// The toolbar follows the ARIA toolbar pattern: one tab stop, arrows move between buttons.

import { openDialog } from './dialog.js';
import { h, uid } from './dom.js';
import {
  actions, createForm, inputField, submitButton,
} from './forms.js';
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

// Emphasis marks of a line: `**` is bold, `*` italics, `***` both. A run of stars opens
// when a word follows it and closes when a word precedes it (« 2 * 3 » is no mark);
// backslash-escaped stars and a list's own marker are not marks.
const LIST_MARKER = /^(\s*)(?:([-*+])(\s+)(\[[ xX]\]\s+)?|(\d{1,9})([.)])(\s+))/;

/**
 * The marks still open at the end of `text` (one line, up to the caret; `next`: the
 * character after it), the innermost last: [{ mark, end }].
 */
function openMarks(text, next) {
  const stack = [];
  const marker = LIST_MARKER.exec(text);
  let i = marker ? marker[0].length : 0;
  while (i < text.length) {
    if (text[i] === '\\') { i += 2; continue; }
    if (text[i] !== '*') { i += 1; continue; }
    let j = i;
    while (text[j] === '*') j += 1;
    const run = j - i;
    const before = text[i - 1];
    const after = j < text.length ? text[j] : next;
    const canOpen = after !== undefined && !/\s/.test(after);
    const canClose = before !== undefined && !/\s/.test(before);
    const marks = [run >= 2 ? '**' : null, run % 2 === 1 ? '*' : null].filter(Boolean);
    for (const mark of marks) {
      const at = stack.findIndex((o) => o.mark === mark);
      if (at >= 0 && canClose) stack.splice(at, 1);
      else if (at < 0 && canOpen) stack.push({ mark, end: j });
    }
    i = j;
  }
  return stack;
}

/** Whether `text` is wholly wrapped in `mark` (`**a**` in bold, `*a*` or `***a***` in italics). */
function wrappedIn(text, mark) {
  const lead = text.match(/^\**/)[0].length;
  const trail = text.match(/\**$/)[0].length;
  if (text.length <= 2 * mark.length || lead === text.length) return false;
  const has = (n) => (mark === '**' ? n >= 2 : n % 2 === 1);
  // The mark opened first is the one closed last (not `**a** et **b**`).
  return has(lead) && has(trail)
    && openMarks(text.slice(0, -mark.length), '*').some((o) => o.mark === mark && o.end === lead);
}

/**
 * Bold and italics are toggles, as in a word processor. With words selected: wrapped in
 * the marks, or unwrapped when they already are (the marks selected with them or just
 * around them). With nothing selected: the marks with the caret between them; pressed
 * again, the caret leaves them (an empty pair goes away), so what is typed next is plain.
 */
function toggleMark(area, mark) {
  const { value } = area;
  const start = area.selectionStart;
  const end = area.selectionEnd;
  const n = mark.length;
  const stars = (text) => text.match(/^\**/)[0].length;
  const has = (count) => (mark === '**' ? count >= 2 : count % 2 === 1);
  if (start !== end) {
    const selected = value.slice(start, end);
    // Spaces selected around the words stay outside the marks.
    const lead = selected.match(/^\s*/)[0];
    const trail = selected.match(/\s*$/)[0];
    const core = selected.trim();
    const from = start + lead.length;
    const to = end - trail.length;
    if (core.includes('\n')) {
      // Marks end with their line (the renderer reads a line at a time): each line of the
      // selection gets its own, after its list, heading or quote marker.
      const parts = core.split('\n').map((line) => {
        const marker = (LIST_MARKER.exec(line) || /^\s*(?:#{1,6}\s+|>\s?)/.exec(line) || [''])[0];
        const words = line.slice(marker.length).trim();
        return { line, marker, words };
      });
      const filled = parts.filter((x) => x.words);
      const unwrap = filled.length > 0 && filled.every((x) => wrappedIn(x.words, mark));
      const text = parts.map(({ line, marker, words }) => {
        if (!words) return line;
        return marker + (unwrap ? words.slice(n, words.length - n) : `${mark}${words}${mark}`);
      }).join('\n');
      area.setSelectionRange(from, to);
      insert(area, text, 0, text.length);
      return;
    }
    if (core && wrappedIn(core, mark)) {
      area.setSelectionRange(from, to);
      const inner = core.slice(n, core.length - n);
      insert(area, inner, 0, inner.length);
      return;
    }
    const runBefore = value.slice(0, from).match(/\**$/)[0].length;
    const runAfter = stars(value.slice(to));
    if (core && has(runBefore) && has(runAfter)) {
      area.setSelectionRange(from - n, to + n);
      insert(area, core, 0, core.length);
      return;
    }
    if (!core) {
      area.setSelectionRange(end, end);
      insert(area, mark + mark, n);
      return;
    }
    area.setSelectionRange(from, to);
    insert(area, `${mark}${core}${mark}`, n, n + core.length);
    return;
  }
  const lineStart = value.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = value.indexOf('\n', start);
  if (lineEnd < 0) lineEnd = value.length;
  const before = value.slice(lineStart, start);
  const after = value.slice(start, lineEnd);
  const open = openMarks(before, after[0]).find((o) => o.mark === mark);
  if (!open) {
    insert(area, mark + mark, n);
    return;
  }
  const closedHere = after.startsWith(mark);
  if (open.end === before.length && closedHere) {
    // An empty pair (`****`): taken away.
    area.setSelectionRange(start - n, start + n);
    insert(area, '');
    return;
  }
  if (closedHere) {
    area.focus();
    area.setSelectionRange(start + n, start + n);
    return;
  }
  // Open with no closing mark right here: closed at the caret (and opened again after
  // it when the words further on the line were in the marks).
  const closedLater = openMarks(before + after).every((o) => o.mark !== mark);
  insert(area, closedLater ? mark + mark : mark, n);
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

/**
 * The address of a link as written by someone who does not type « https:// »: a web
 * address gets it (« www.ameli.fr », « ameli.fr/page »), an e-mail address gets
 * « mailto: »; anything else (javascript:, a file path, words) is refused: null.
 */
export function linkAddress(typed) {
  const text = String(typed || '').trim();
  if (!text || /\s/.test(text)) return null;
  const email = /^[^\s@/:()<>]+@[^\s@/:()<>]+\.[^\s@/:()<>]+$/u;
  let href = null;
  if (/^https?:\/\/[^/\s]+\.[^/\s]+|^https?:\/\/localhost\b/i.test(text)) href = text;
  else if (/^mailto:/i.test(text) && email.test(text.slice(7))) href = text;
  else if (email.test(text)) href = `mailto:${text}`;
  else if (/^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}(?::\d+)?(?:[/?#]\S*)?$/u.test(text)) href = `https://${text}`;
  if (!href) return null;
  try {
    if (!/^mailto:/i.test(href)) new URL(href); // eslint-disable-line no-new
  } catch {
    return null;
  }
  // Parentheses would end the Markdown link early.
  return href.replace(/[()]/g, encodeURIComponent);
}

/**
 * « Lien »: a small dialog asks the link's text (the words selected, if any) and its
 * address, checked and completed (linkAddress); the link replaces the selection and the
 * caret ends after it, so that typing goes on outside the link.
 */
async function askLink(area) {
  const start = area.selectionStart;
  const end = area.selectionEnd;
  const selected = area.value.slice(start, end).trim();
  const looksLikeAddress = Boolean(selected) && linkAddress(selected) !== null && !/\s/.test(selected);
  const answer = await openDialog({
    title: t('editor.linkTitle'),
    className: 'dialog-link',
    body: (close) => {
      const { form } = createForm({
        label: t('editor.linkTitle'),
        onSubmit: (values) => {
          const href = linkAddress(values.href);
          if (!href) throw Object.assign(new Error(t('editor.linkInvalid')), { field: 'href' });
          close({ text: values.text, href });
        },
        children: [
          inputField({ label: t('editor.linkTextField'), name: 'text', value: selected, hint: t('editor.linkTextHint'), attrs: { maxlength: '500' } }),
          inputField({
            label: t('editor.linkHrefField'), name: 'href', required: true, value: looksLikeAddress ? selected : '',
            hint: t('editor.linkHrefHint'), attrs: { inputmode: 'url', autocomplete: 'url', spellcheck: 'false', maxlength: '2000' },
          }),
          actions(
            submitButton(t('editor.linkInsert')),
            h('button', { type: 'button', class: 'button button-secondary', text: t('common.cancel'), onclick: () => close(null) }),
          ),
        ],
      });
      // The words are there already: the address is what is left to type.
      if (selected) queueMicrotask(() => form.elements.namedItem('href').focus());
      return form;
    },
  });
  area.focus();
  area.setSelectionRange(start, end);
  // The browser may hand the focus back to the toolbar's button as the dialog goes: the
  // text keeps it.
  requestAnimationFrame(() => { if (document.activeElement !== area && area.isConnected) area.focus(); });
  if (!answer) return;
  const words = (answer.text || answer.href.replace(/^mailto:/i, '')).replace(/[[\]]/g, '\\$&');
  const link = `[${words}](${answer.href})`;
  insert(area, link, link.length);
}

/**
 * Enter as in a word processor: in a list, the next line is a new item (numbered one
 * more), and Enter on an empty item ends the list; bold or italics open on the line are
 * closed before the line ends (and opened again on the next line when words in them
 * follow), an empty pair of marks is dropped. Returns false when Enter is left as is.
 */
function enter(area) {
  const { value } = area;
  const start = area.selectionStart;
  if (start !== area.selectionEnd) return false;
  const lineStart = value.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = value.indexOf('\n', start);
  if (lineEnd < 0) lineEnd = value.length;
  let before = value.slice(lineStart, start);
  let after = value.slice(start, lineEnd);
  let changed = false;
  let reopen = '';
  const typed = before.length;
  for (const open of openMarks(before, after[0]).reverse()) {
    const { mark } = open;
    if (open.end === typed) {
      // Nothing typed in the marks yet: they go (with their closing one, if it is here).
      before = before.slice(0, -mark.length);
      if (after.startsWith(mark)) after = after.slice(mark.length);
    } else if (after.startsWith(mark)) {
      before += mark;
      after = after.slice(mark.length);
    } else {
      // Closed at the caret; when it was closed further on the line, the words after the
      // caret stay in the marks on the next line.
      before += mark;
      if (openMarks(value.slice(lineStart, lineEnd)).every((o) => o.mark !== mark)) reopen = mark + reopen;
    }
    changed = true;
  }
  let marker = '';
  const item = LIST_MARKER.exec(before);
  if (item) {
    const rest = before.slice(item[0].length);
    if (!rest.trim() && !after.trim()) {
      // Enter on an empty item ends the list: the marker goes, the line stays empty.
      area.setSelectionRange(lineStart, lineEnd);
      insert(area, '');
      return true;
    }
    marker = item[2]
      ? `${item[1]}${item[2]}${item[3]}${item[4] ? '[ ] ' : ''}`
      : `${item[1]}${Number(item[5]) + 1}${item[6]}${item[7]}`;
    changed = true;
  }
  if (!changed) return false;
  const text = `${before}\n${marker}${reopen}${after}`;
  area.setSelectionRange(lineStart, lineEnd);
  insert(area, text, before.length + 1 + marker.length + reopen.length);
  return true;
}

/** How many images a pasted HTML fragment holds (they are not kept). */
function imagesIn(html) {
  const doc = new DOMParser().parseFromString(String(html || '').replace(/<style[\s\S]*?<\/style\s*>/gi, '')
    .replace(/(<[a-z][^>]*?\s)style\s*=/gi, '$1data-style='), 'text/html');
  return doc.querySelectorAll('img').length;
}

const ACTIONS = [
  { key: 'heading', run: (a) => prefixLines(a, () => '## ', /^#{1,6}\s+/) },
  { key: 'subheading', run: (a) => prefixLines(a, () => '### ', /^#{1,6}\s+/) },
  { key: 'bold', shortcut: 'b', run: (a) => toggleMark(a, '**') },
  { key: 'italic', shortcut: 'i', run: (a) => toggleMark(a, '*') },
  { key: 'bullets', run: (a) => prefixLines(a, () => '- ', /^\s*[-*+]\s+(?!\[[ xX]\])/) },
  { key: 'numbers', run: (a) => prefixLines(a, (i) => `${i + 1}. `, /^\s*\d+[.)]\s+/) },
  { key: 'checklist', run: (a) => prefixLines(a, () => '- [ ] ', /^\s*[-*+]\s+\[[ xX]\]\s+/) },
  { key: 'link', shortcut: 'k', run: (a) => askLink(a) },
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
    if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey && !e.isComposing) {
      if (enter(area)) e.preventDefault();
      return;
    }
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
    const action = ACTIONS.find((x) => x.shortcut === e.key.toLowerCase());
    if (!action) return;
    e.preventDefault();
    action.run(area);
  }, { signal });

  // Images are not kept (a fiche's pictures are attachments): said, never dropped silently.
  const status = h('p', { class: 'editor-status', role: 'status', 'aria-live': 'polite' });
  area.addEventListener('paste', (e) => {
    const html = e.clipboardData?.getData('text/html');
    const files = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith('image/')).length;
    const images = Math.max(files, html ? imagesIn(html) : 0);
    status.textContent = images ? t(images === 1 ? 'editor.imageDroppedOne' : 'editor.imagesDropped', { n: images }) : '';
    // A paste with structure (Word, a document, a web page) comes in as Markdown.
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
        h('h2', { id: previewId, class: 'editor-preview-title', text: t('editor.preview') }), preview)),
    status);
  return { element: holder, redraw: draw };
}
