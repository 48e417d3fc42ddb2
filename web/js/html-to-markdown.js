// Pasted HTML (from Word, LibreOffice, Google Docs or a web page) → the Markdown that the
// library's renderer reads (markdown.js). The browser parses the HTML (DOMParser: nothing
// runs, nothing loads); the structure is kept — headings, paragraphs, lists (Word's own
// list paragraphs included), tables, links, bold, italics, quotes — and the rest (styles,
// images, scripts, comments, classes) is dropped.

import { safeHref } from './markdown.js';

const BLOCKS = new Set(['P', 'DIV', 'SECTION', 'ARTICLE', 'MAIN', 'HEADER', 'FOOTER', 'ASIDE', 'NAV', 'FIGURE', 'FIGCAPTION',
  'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'UL', 'OL', 'LI', 'TABLE', 'BLOCKQUOTE', 'PRE', 'HR', 'DL', 'DT', 'DD', 'ADDRESS']);
const BLOCK_SELECTOR = [...BLOCKS].map((t) => t.toLowerCase()).join(',');
const DROP = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'IMG', 'SVG', 'VIDEO', 'AUDIO',
  'CANVAS', 'HEAD', 'TITLE', 'META', 'LINK', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'FORM']);

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/**
 * Text as Markdown text: a character is escaped only where the renderer (markdown.js)
 * would read it as syntax, so that the text shows no backslash nobody typed. `*` next to
 * a word may start or end italics or bold (« 2 * 3 » is left alone); `_` at the start of
 * a word, or doubled (« mon_fichier » is left alone); `[` before a `]` (a link); a
 * backtick when another one follows (code); a backslash before punctuation. The line
 * starts (#, -, >, 1.) are escapeLineStart's; the pipes of a table, tableMarkdown's.
 * The ends of the text are taken as words: what is next to them is not known here.
 */
function escapeText(text) {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    const before = i > 0 ? text[i - 1] : 'x';
    const after = i + 1 < text.length ? text[i + 1] : 'x';
    // The renderer's own test: a no-break space is no space to it.
    const space = (x) => x === ' ' || x === '\n';
    let escape = false;
    if (c === '*') escape = !(space(before) && space(after));
    else if (c === '_') escape = before === '_' || after === '_' || ((i === 0 || !/[\p{L}\p{N}]/u.test(before)) && !space(after));
    else if (c === '[') escape = text.indexOf(']', i + 1) >= 0 || i + 1 === text.length;
    else if (c === '`') escape = text.indexOf('`', i + 1) >= 0 || text.lastIndexOf('`', i - 1) >= 0 || i === 0 || i + 1 === text.length;
    else if (c === '\\') escape = i + 1 === text.length || PUNCTUATION.includes(after);
    out += escape ? `\\${c}` : c;
  }
  return out;
}

/** A line that would read as a heading, a list item or a quote is escaped at its start. */
function escapeLineStart(line) {
  return line.replace(/^(\s*)(#{1,6}\s|[-+]\s|\d+[.)]\s|>)/, (m, space, mark) => `${space}\\${mark}`);
}

// Style attributes are read from data-style (see htmlToMarkdown): parsing them as
// styles would break the page's Content-Security-Policy, and nothing here applies them.
function styleOf(el) {
  return (el.getAttribute && el.getAttribute('data-style')) || '';
}

function isBold(el) {
  if (el.tagName === 'STRONG' || el.tagName === 'B') return !/font-weight\s*:\s*(normal|[1-4]00)/i.test(styleOf(el));
  return /font-weight\s*:\s*(bold|[6-9]00)/i.test(styleOf(el));
}

function isItalic(el) {
  if (el.tagName === 'EM' || el.tagName === 'I') return !/font-style\s*:\s*normal/i.test(styleOf(el));
  return /font-style\s*:\s*italic/i.test(styleOf(el));
}

/** Word's list paragraphs: <p style="mso-list:l0 level2 lfo1">, the bullet in a span mso-list:Ignore. */
function wordListLevel(el) {
  const m = /mso-list\s*:\s*l\d+\s+level(\d+)/i.exec(styleOf(el));
  return m ? Number(m[1]) : 0;
}

/** Inline content → Markdown on one logical line (line breaks kept as "\n"). */
function inline(node) {
  let out = '';
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      out += escapeText(child.nodeValue.replace(/[\s\u00a0]+/g, (s) => (s.includes('\u00a0') && s.length === 1 ? '\u00a0' : ' ')));
      continue;
    }
    if (child.nodeType !== Node.ELEMENT_NODE) continue;
    const el = child;
    if (DROP.has(el.tagName)) continue;
    if (/mso-list\s*:\s*ignore/i.test(styleOf(el))) continue;
    if (el.tagName === 'BR') {
      out += '\n';
      continue;
    }
    let text = inline(el);
    if (!text.trim()) {
      out += text;
      continue;
    }
    if (el.tagName === 'CODE') text = `\`${el.textContent.replace(/`/g, '')}\``;
    else {
      // Emphasis wraps the words, not the spaces around them.
      const lead = text.match(/^\s*/)[0];
      const trail = text.match(/\s*$/)[0];
      let core = text.trim();
      if (isItalic(el)) core = `*${core}*`;
      if (isBold(el)) core = `**${core}**`;
      if (el.tagName === 'A') {
        const href = (el.getAttribute('href') || '').trim();
        if (href && safeHref(href)) core = `[${core}](${href.replace(/[()\s]/g, encodeURIComponent)})`;
      }
      text = lead + core + trail;
    }
    out += text;
  }
  return out;
}

function clean(text) {
  return text.split('\n').map((l) => escapeLineStart(l.replace(/[ \t]+/g, ' ').trim())).filter((l, i, all) => l || (i > 0 && all[i - 1])).join('\n').trim();
}

function tableMarkdown(table) {
  const rows = [...table.querySelectorAll('tr')].filter((tr) => tr.closest('table') === table);
  if (!rows.length) return '';
  const cells = rows.map((tr) => [...tr.children].filter((c) => c.tagName === 'TD' || c.tagName === 'TH')
    .map((c) => clean(inline(c)).replace(/\n+/g, ' ').replace(/\\\|/g, '|').replace(/\|/g, '\\|')));
  const width = Math.max(...cells.map((r) => r.length));
  if (!width) return '';
  const line = (r) => `| ${Array.from({ length: width }, (_, i) => r[i] || ' ').join(' | ')} |`;
  return [line(cells[0]), `|${' --- |'.repeat(width)}`, ...cells.slice(1).map(line)].join('\n');
}

/** Block content → Markdown blocks (each a string), lists carried with their depth. */
function blocks(node, out, depth = 0) {
  let para = '';
  const flush = () => {
    const text = clean(para);
    if (text) out.push(text);
    para = '';
  };
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      para += escapeText(child.nodeValue.replace(/\s+/g, ' '));
      continue;
    }
    if (child.nodeType !== Node.ELEMENT_NODE) continue;
    const el = child;
    if (DROP.has(el.tagName)) continue;
    // An inline element around blocks (Google Docs wraps a whole paste in <b
    // id="docs-internal-guid-…">) is a container: its blocks stay blocks.
    if (!BLOCKS.has(el.tagName) && !wordListLevel(el) && el.querySelector(BLOCK_SELECTOR)) {
      flush();
      blocks(el, out, depth);
      continue;
    }
    if (!BLOCKS.has(el.tagName) && !wordListLevel(el)) {
      // An inline element (bold, a link…) of the running paragraph, itself included.
      const holder = document.createElement('span');
      holder.appendChild(el.cloneNode(true));
      para += inline(holder);
      continue;
    }
    flush();
    const tag = el.tagName;
    const wordLevel = wordListLevel(el);
    if (wordLevel) {
      // Numbered when Word's hidden label is a number or a letter with a dot.
      const label = [...el.querySelectorAll('span')].find((s) => /mso-list\s*:\s*ignore/i.test(styleOf(s)));
      let raw = inline(el).replace(/\n+/g, ' ').trim();
      // Older Word and Outlook leave the marker in the text (« · », « o », « 1. »).
      const marker = label ? null : /^(?:[·•▪§o–-]|\d{1,3}[.)]|[a-z][.)])[\s\u00a0]+/i.exec(raw);
      if (marker) raw = raw.slice(marker[0].length);
      const ordered = label ? /^\s*[0-9a-z]{1,3}[.)]/i.test(label.textContent) : Boolean(marker && /^\w/.test(marker[0]) && marker[0].trim() !== 'o');
      const text = clean(raw).replace(/\n+/g, ' ');
      if (text) out.push({ item: text, depth: wordLevel - 1, ordered });
    } else if (/\bMsoTitle\b/.test(el.getAttribute('class') || '')) {
      const text = clean(inline(el)).replace(/\n+/g, ' ');
      if (text) out.push(`# ${text}`);
    } else if (/^H[1-6]$/.test(tag)) {
      const text = clean(inline(el)).replace(/\n+/g, ' ').replace(/^\\(?=#)/, '');
      if (text) out.push(`${'#'.repeat(Number(tag[1]))} ${text}`);
    } else if (tag === 'UL' || tag === 'OL') {
      for (const li of el.children) {
        if (li.tagName !== 'LI') continue;
        // The item's own text, then its nested lists one level deeper.
        const own = document.createElement('div');
        const nested = [];
        for (const c of li.childNodes) {
          if (c.nodeType === Node.ELEMENT_NODE && (c.tagName === 'UL' || c.tagName === 'OL')) nested.push(c);
          else own.appendChild(c.cloneNode(true));
        }
        const text = clean(inline(own)).replace(/\n+/g, ' ');
        const checkbox = li.querySelector('input[type="checkbox"]');
        const box = checkbox ? (checkbox.checked ? '[x] ' : '[ ] ') : '';
        if (text || box) out.push({ item: box + text, depth, ordered: tag === 'OL' });
        for (const n of nested) {
          const inner = [];
          blocks(wrap(n), inner, depth + 1);
          out.push(...inner);
        }
      }
    } else if (tag === 'TABLE') {
      const table = tableMarkdown(el);
      if (table) out.push(table);
    } else if (tag === 'BLOCKQUOTE') {
      const inner = [];
      blocks(el, inner, depth);
      const text = render(inner);
      if (text) out.push(text.split('\n').map((l) => (l ? `> ${l}` : '>')).join('\n'));
    } else if (tag === 'PRE') {
      const text = el.textContent.replace(/\n+$/, '');
      if (text.trim()) out.push(text.split('\n').map((l) => `    ${l}`).join('\n'));
    } else if (tag === 'HR') {
      out.push('---');
    } else if (tag === 'LI') {
      const text = clean(inline(el)).replace(/\n+/g, ' ');
      if (text) out.push({ item: text, depth, ordered: false });
    } else {
      blocks(el, out, depth);
    }
  }
  flush();
}

function wrap(list) {
  const holder = document.createElement('div');
  holder.appendChild(list.cloneNode(true));
  return holder;
}

/** Blocks → text: list items stay together (numbered in order), other blocks apart. */
function render(list) {
  let text = '';
  let prevItem = false;
  const counters = [];
  const kinds = [];
  for (const b of list) {
    if (typeof b === 'string') {
      text += (text ? '\n\n' : '') + b;
      prevItem = false;
      counters.length = 0;
      continue;
    }
    counters.length = b.depth + 1;
    kinds.length = b.depth + 1;
    // A numbered list after a bulleted one (or the reverse) starts again at 1; at the top
    // level it is another list, apart.
    if (kinds[b.depth] !== b.ordered) {
      counters[b.depth] = 0;
      if (b.depth === 0 && kinds[0] !== undefined) prevItem = false;
    }
    kinds[b.depth] = b.ordered;
    counters[b.depth] = (counters[b.depth] || 0) + 1;
    const marker = b.ordered ? `${counters[b.depth]}.` : '-';
    text += (text ? (prevItem ? '\n' : '\n\n') : '') + `${'  '.repeat(b.depth)}${marker} ${b.item}`;
    prevItem = true;
  }
  return text;
}

/** The Markdown of an HTML fragment (a clipboard's text/html). */
export function htmlToMarkdown(html) {
  // Style sheets go, style attributes become data-style: the parsed document inherits the
  // page's Content-Security-Policy, which refuses inline styles (and reports each one).
  const source = String(html || '')
    .replace(/<style[\s\S]*?<\/style\s*>/gi, '')
    .replace(/(<[a-z][^>]*?\s)style\s*=/gi, '$1data-style=');
  const doc = new DOMParser().parseFromString(source, 'text/html');
  const out = [];
  blocks(doc.body, out, 0);
  return render(out).replace(/\n{3,}/g, '\n\n').trim();
}

/** Whether pasted HTML carries structure worth keeping (else the plain text is pasted). */
export function hasStructure(html) {
  return /<(h[1-6]|ul|ol|li|table|a\s|strong|b[\s>]|em|i[\s>]|blockquote)\b|mso-list/i.test(String(html || ''));
}
