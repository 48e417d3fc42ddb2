// Library helpers shared by its pages: labels of codes (from the shared vocabulary,
// meta.js), highlighted snippets, result cards, and the attachment upload (raw bytes,
// not JSON).

import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { labels } from '../meta.js';
import { absoluteDate, frenchDate } from '../time.js';

export const ACCEPTED_FILES = '.pdf,.docx,.odt,.pptx,.odp,.xlsx,.ods,.png,.jpg,.jpeg,.webp,.md,.markdown,.txt';
// The kinds a member may submit; reviewers may submit every kind.
export const MEMBER_KINDS = ['temoignage', 'outil'];

export const kindLabel = labels.kind;
export const phaseLabel = labels.phase;
export const missionLabel = labels.mission;

export function isReviewer(user) {
  return Boolean(user) && (user.role === 'animateur' || user.role === 'admin');
}

/**
 * A snippet is plain text; `highlights` are the matched words as [begin, end) offsets
 * (UTF-16 code units, as String.slice counts). Built as text nodes and <mark> elements:
 * nothing in it can become markup.
 */
export function snippetNodes(snippet, highlights) {
  const text = String(snippet || '');
  const out = [];
  let at = 0;
  for (const range of Array.isArray(highlights) ? highlights : []) {
    const [b, e] = range;
    if (!(Number.isInteger(b) && Number.isInteger(e)) || b < at || e <= b || e > text.length) continue;
    if (b > at) out.push(document.createTextNode(text.slice(at, b)));
    out.push(h('mark', { text: text.slice(b, e) }));
    at = e;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}

export function kindBadge(kind) {
  return h('span', { class: `badge badge-kind kind-${kind}`, text: kindLabel(kind) });
}

/**
 * A search hit or a listed item as a card linking to its page. `level`: its title's heading
 * level (2 in a list right under the page's title, 3 under a section's heading).
 */
export function itemCard(item, { snippet = true, level = 2, listed = false } = {}) {
  const meta = [];
  // In the contributor's and the reviewer's lists: when it last changed, and its state
  // whatever it is (« Publiée » too).
  if (listed && item.updated_at) meta.push(t('biblio.updatedOn', { date: formatDate(item.updated_at) }));
  if (item.date) meta.push(formatDate(item.date));
  if (item.organisation) meta.push(item.organisation);
  if (Array.isArray(item.phases) && item.phases.length) meta.push(item.phases.map(phaseLabel).join(', '));
  return h('li', { class: 'card library-card' },
    h('div', { class: 'card-badges' }, kindBadge(item.kind),
      // Archived, it waits for nothing (a pending fiche archived is out of the review queue).
      item.archived ? h('span', { class: 'badge state-archived', text: t('biblio.state.archived') })
        : item.state && (listed || item.state !== 'published')
          ? h('span', { class: `badge state-${item.state}`, text: t(`biblio.state.${item.state}`) }) : null),
    h(`h${level}`, { class: 'card-title' }, h('a', { class: 'card-link', href: `/bibliotheque/${item.id}`, text: item.title })),
    meta.length ? h('p', { class: 'card-meta', text: meta.join(' · ') }) : null,
    listed ? provenance(item) : null,
    snippet && item.snippet ? h('p', { class: 'snippet' }, snippetNodes(item.snippet, item.highlights))
      : (item.summary ? h('p', { text: item.summary }) : null),
    item.review_note && item.state === 'rejected'
      ? h('p', { class: 'review-note', text: t('biblio.reviewNote', { note: item.review_note }) }) : null);
}

/**
 * In the review queue and the contributions: who wrote it and for which organisation,
 * which version, who saved it and when, and whether it is a new fiche or a new version
 * of one already online.
 */
function provenance(item) {
  const lines = [];
  const pending = item.state === 'pending' && !item.archived;
  if (pending) {
    lines.push(item.published_version
      ? t('biblio.card.revision', { version: item.published_version }) : t('biblio.card.new'));
  }
  // Back from a request for changes: what was asked, to check it was done.
  if (pending && item.sent_back?.note && item.sent_back.version < item.version) {
    lines.push(t('biblio.card.sentBack', { version: item.sent_back.version, note: item.sent_back.note }));
  }
  if (item.author_name) {
    lines.push(item.org_name ? t('biblio.card.byOrg', { author: item.author_name, org: item.org_name })
      : t('biblio.card.by', { author: item.author_name }));
  }
  const when = absoluteDate(item.saved_at);
  if (item.version && when) {
    lines.push(item.saved_by?.name
      ? t('biblio.card.saved', { version: item.version, name: item.saved_by.name, date: when })
      : t('biblio.card.savedAnonymous', { version: item.version, date: when }));
  }
  if (!lines.length) return null;
  return h('ul', { class: 'card-provenance' }, lines.map((line, i) => h('li', {
    class: i === 0 && pending ? 'card-kind-of-change' : null, text: line,
  })));
}

const dayFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' });

/** "1er décembre 2026" (a day, or the Paris day of a timestamp). */
export function formatDate(iso) {
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return frenchDate(dayFormat, d);
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} Ko`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} Mo`;
}

/** Sends one file as raw bytes; returns { sha256, name, mime, size }. Throws ApiError. */
export async function uploadFile(file, signal) {
  let response;
  try {
    response = await fetch(`/api/library/files?name=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json' },
      body: file,
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'reseau', t('errors.network'));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const e = data && data.error;
    throw new ApiError(response.status, e?.code || 'erreur', e?.message || t('errors.network'), e?.field);
  }
  return data.file;
}
