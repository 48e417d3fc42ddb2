// The live board of a workshop (/ateliers/:id/tableau), for accounts and guests:
// current phase and server-side timer, columns of notes (add, edit, delete, vote,
// group), presence, chat, reactions, action items, and the facilitator's controls.
// Everything works with the keyboard; nothing needs dragging. The connection, the
// outbox and resuming are in live.js; the board model in ateliers/board.js.

import { api } from '../api.js';
import { Board } from '../ateliers/board.js';
import {
  REACTIONS, apiPath, formatDay, formatTime, kindLabel, reportPath, roleLabel, workshopPath,
} from '../ateliers/common.js';
import { confirmDialog, openDialog } from '../dialog.js';
import { h, srOnly, stackTable, svgIcon, uid } from '../dom.js';
import {
  actions, createForm, formValues, inputField, keepDraft, submitButton,
} from '../forms.js';
import { compare, formatNumber, t, tn } from '../i18n.js';
import { guardLeaving } from '../leave-guard.js';
import { connectLive } from '../live.js';

let pageTitle = '';
export const title = () => pageTitle || t('board.titleShort');

const COLOURS = ['jaune', 'rose', 'bleu', 'vert', 'orange', 'violet'];
const NOTE_MAX = 1000; // characters (code points), as the server counts them
const FIELD_MAX = 500; // a field's value (structured columns), counted the same way
const CLAMP_CHARS = 280; // a longer note is shown clamped, with « Lire la suite »
const CLAMP_LINES = 6;
const SOUND_KEY = 'relais.board.sound';
const PANEL_KEY = 'relais.board.panels';
const chars = (text) => [...text].length;
const ERROR_SHOWN_MS = 10_000;
const TYPING_SHOWN_MS = 4_000;
const TYPING_EVERY_MS = 3_000;
const listFormat = new Intl.ListFormat('fr', { type: 'conjunction' });

function formatDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(total / 3600);
  const mm = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/**
 * Rebuilds `el` when the view model changed, keeping keyboard focus on the control
 * with the same data-focus key (or on `fallback` when it is gone).
 */
function update(el, vm, build, fallback) {
  const sig = JSON.stringify(vm);
  if (el.dataset.sig === sig) return;
  el.dataset.sig = sig;
  const active = document.activeElement;
  const inside = active && el.contains(active);
  const key = inside ? active.dataset.focus : null;
  const selection = inside && typeof active.selectionStart === 'number'
    ? [active.selectionStart, active.selectionEnd] : null;
  el.replaceChildren(...[build(vm)].flat().filter(Boolean));
  if (!inside) return;
  const target = key ? el.querySelector(`[data-focus="${CSS.escape(key)}"]`) : null;
  if (target) {
    target.focus();
    if (selection && typeof target.setSelectionRange === 'function') target.setSelectionRange(...selection);
  } else if (fallback) {
    fallback().focus();
  }
}

/** Sets a text only when it changed (live regions announce every change). */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** A small loudspeaker (decorative: the button's words name it). */
function speakerIcon() {
  return svgIcon('sound-icon', 18, 'M3 9v6h4l5 4V5L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z');
}

function button(text, onclick, { cls = 'button button-secondary button-small', ...attrs } = {}) {
  return h('button', { type: 'button', class: cls, text, onclick, ...attrs });
}

/** A note's fields as a compact definition list under its text (none: null). */
function fieldList(items) {
  if (!items.length) return null;
  return h('dl', { class: 'note-fields' }, items.map((f) => h('div', {},
    h('dt', { text: f.label }), h('dd', { text: f.value }))));
}

/** The fields typed in `controls` (Map key -> input or select): blank ones left out. */
function readFields(controls) {
  const out = {};
  for (const [key, control] of controls) {
    const value = control.value.trim();
    if (value) out[key] = value;
  }
  return out;
}

/** The page for someone without an account whose guest access is no longer valid. */
function guestEnded(back) {
  pageTitle = t('board.guestEndedTitle');
  const id = uid('titre');
  return h('section', { class: 'page page-message area-ateliers', 'aria-labelledby': id },
    h('h1', { id, text: t('board.guestEndedTitle') }),
    h('p', { class: 'lead', text: t('board.guestEndedText') }),
    h('p', { text: t('board.guestEndedHow') }),
    h('p', {}, h('a', { href: `/connexion?retour=${encodeURIComponent(back)}`, text: t('board.guestEndedAccount') })));
}

export async function render(ctx) {
  const { id } = ctx.params;
  const { signal } = ctx;
  let workshop;
  try {
    workshop = (await api.get(apiPath(id), { signal, quiet401: true })).workshop;
  } catch (err) {
    if (err.status === 401 && ctx.user) {
      ctx.requireLogin();
      throw Object.assign(new Error('redirect'), { name: 'AbortError' });
    }
    // Without an account: a guest whose access ended (or a link opened elsewhere) is told
    // what happened and how to come back, not sent to the account sign-in page.
    if (err.status === 401) return guestEnded(`${location.pathname}${location.search}`);
    throw err;
  }
  pageTitle = t('board.title', { title: workshop.title });

  const board = new Board();
  const ui = {
    // note id -> { draft, version, current? }: the version the edit started from (a
    // change by someone else meanwhile makes the server answer version_perimee), and
    // after such a conflict the note's current text.
    editing: new Map(),
    // Texts of edits whose note went (deleted, or no longer this person's to change):
    // [{ column, text }], offered back in the unsent box.
    orphans: [],
    pending: [], // operations not yet acknowledged
    people: [],
    typing: new Map(), // key -> { name, until }
    status: 'connecting',
    ended: '', // why this person may no longer change the board (access ended), or ''
    expanded: new Set(), // ids of long notes shown whole
    column: null, // the column shown on a phone
    refocus: null, // a note whose editor takes the focus back once drawn (refused edit)
    closeReason: '', // the server's reason for the last policy close (1008), for display
    added: null, // the note this person just added ({ column, text }), until it is on the board
    reveal: null, // the id of that note, to bring into view once drawn
  };
  // Which panels are open (the facilitator's controls, the side panel), kept per browser.
  const panels = { controls: false, side: window.matchMedia('(min-width: 100rem)').matches };
  try { Object.assign(panels, JSON.parse(localStorage.getItem(PANEL_KEY) || '{}')); } catch { /* defaults */ }
  const savePanels = () => { try { localStorage.setItem(PANEL_KEY, JSON.stringify(panels)); } catch { /* not kept */ } };
  let sound = false;
  try { sound = localStorage.getItem(SOUND_KEY) === 'on'; } catch { /* off */ }
  let live = null;

  // What is typed in a note's editor survives a reload, as the composers' drafts do (in
  // the tab's storage): the open editors, and the texts of notes gone meanwhile.
  const editsKey = `relais.draft.atelier.${id}.edits`;
  function saveEdits() {
    try {
      const edits = [...ui.editing].map(([note, state]) => ({ ...state, note }));
      if (edits.length || ui.orphans.length) sessionStorage.setItem(editsKey, JSON.stringify({ edits, orphans: ui.orphans }));
      else sessionStorage.removeItem(editsKey);
    } catch { /* full or unavailable: the text stays in the page */ }
  }
  try {
    const kept = JSON.parse(sessionStorage.getItem(editsKey) || 'null') || {};
    for (const { note, ...state } of Array.isArray(kept.edits) ? kept.edits : []) {
      if (Number(note) > 0 && typeof state.draft === 'string') ui.editing.set(Number(note), state);
    }
    for (const o of Array.isArray(kept.orphans) ? kept.orphans : []) {
      if (o && typeof o.text === 'string') ui.orphans.push({ column: String(o.column || ''), text: o.text });
    }
  } catch { /* nothing kept */ }

  // Changes not yet sent (offline) wait in the outbox, which outlives the page; leaving
  // asks all the same, since they go only when the person comes back to this board.
  // Online, they leave within milliseconds: no question then.
  guardLeaving(() => ui.pending.length > 0 && ui.status !== 'online' && !ui.ended, signal);

  // ------------------------------------------------------------ static layout
  const statusEl = h('div', { class: 'live-status live-status-connecting', role: 'status', 'aria-live': 'polite' });
  const errorEl = h('div', { class: 'live-error', role: 'alert', 'aria-live': 'assertive' });
  const phaseTitle = h('h2', { class: 'board-phase-title', id: uid('phase-titre'), tabindex: '-1' });
  const phaseInfo = h('p', { class: 'board-phase-info' });
  const timerValue = h('span', { class: 'timer-value', role: 'timer', 'aria-live': 'off' });
  const timerEl = h('p', { class: 'timer' });
  const timerState = h('span', { class: 'timer-state' });
  const timerAlert = h('span', { class: 'visually-hidden', 'aria-live': 'polite' });
  const phaseNews = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const noteNews = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const votesLeftEl = h('p', { class: 'votes-left', 'aria-live': 'polite' });
  // Facilitators, in a vote phase: how many have voted (never on what).
  const votersEl = h('p', { class: 'votes-voters', hidden: true, title: t('board.votersHint') });
  // Why no one but the facilitators may write now (the board locked, or locked at 0:00):
  // said once, in the bar, and named by every composer it closes.
  const barReason = h('p', { class: 'composer-reason board-reason', id: uid('raison-tableau'), 'aria-live': 'polite', hidden: true });
  const stateHint = h('p', { class: 'board-hint', id: uid('etat') });
  const columnsEl = h('div', { class: 'board-columns' });
  const presenceEl = h('div');
  const typingEl = h('p', { class: 'hint typing' });
  const reactionsEl = h('div', { class: 'reactions' });
  const chatList = h('ol', { class: 'chat-list' });
  const actionsSection = h('section', { class: 'block board-actions' });
  const facilitatorEl = h('div');
  const endedEl = h('p', { class: 'notice notice-error board-ended', hidden: true });
  const reportLink = h('p', { hidden: true },
    h('a', { href: reportPath(id), class: 'button button-secondary', text: t('board.reportLink') }));

  // ------------------------------------------------------------ feedback
  let errorTimer = null;
  function showError(message) {
    clearTimeout(errorTimer);
    errorEl.textContent = message || '';
    if (message) errorTimer = setTimeout(() => { errorEl.textContent = ''; }, ERROR_SHOWN_MS);
  }

  /** Queues an operation; returns its client id (null when the board is not connected). */
  function send(op, fields) {
    if (!live) return null;
    return live.send(op, fields);
  }

  function drawStatus() {
    const key = {
      connecting: 'board.statusConnecting', online: 'board.statusOnline',
      offline: 'board.statusOffline', resync: 'board.statusResync', ended: 'board.statusEnded',
    }[ui.status];
    // The count of unsent changes matters while they wait: not when online, where
    // they leave within milliseconds (and would make the region chatty).
    const n = ui.status === 'online' ? 0 : ui.pending.length;
    statusEl.className = `live-status live-status-${ui.status}`;
    setText(statusEl, t(key) + (n ? ` ${t(n === 1 ? 'board.pendingOne' : 'board.pendingMany', { n })}` : ''));
  }

  // ------------------------------------------------------------ phase and timer
  let lastRemaining = null;
  function timerRemaining() {
    const tm = board.timer;
    if (tm.running) return Math.max(0, tm.ends_at - live.now());
    return tm.remaining_ms || 0;
  }

  function drawTimer() {
    if (!board.loaded || !live) return;
    const ms = timerRemaining();
    const text = formatDuration(ms);
    setText(timerValue, text);
    const up = board.timer.running && ms === 0;
    timerEl.classList.toggle('timer-up', up);
    setText(timerState, up ? t('board.timerUp') : (board.timer.running ? '' : t('board.timerPaused')));
    if (up && lastRemaining !== 0 && lastRemaining !== null) {
      setText(timerAlert, t('board.timeUp'));
      if (sound) beep();
      // The composers close (lock at 0:00); « Démarrer » may start the phase's time again.
      schedule();
    }
    if (ms > 0) setText(timerAlert, '');
    lastRemaining = board.timer.running ? ms : null;
  }
  /** A short tone (Web Audio: no file to fetch), when the person asked for it. */
  function beep() {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.15;
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.5);
      tone.onended = () => audio.close();
    } catch { /* no audio here: the visible signal remains */ }
  }
  const soundButton = button('', () => {
    sound = !sound;
    soundButton.setAttribute('aria-pressed', String(sound));
    try { localStorage.setItem(SOUND_KEY, sound ? 'on' : 'off'); } catch { /* not kept */ }
    if (sound) beep();
  }, { cls: 'button button-secondary button-small sound-toggle', 'aria-pressed': String(sound), title: t('board.sound') });
  // On a phone the bar keeps an icon; its words stay for screen readers (CSS).
  soundButton.append(speakerIcon(), h('span', { class: 'sound-label', text: t('board.sound') }));
  const tick = setInterval(drawTimer, 250);
  signal.addEventListener('abort', () => clearInterval(tick), { once: true });

  let shownPhase = null;
  function drawPhase() {
    const p = board.phase;
    // A new phase is announced (not the first one shown).
    if (p && shownPhase !== null && shownPhase !== p.key) {
      setText(phaseNews, t('board.phaseChanged', { title: p.title }));
    }
    shownPhase = p ? p.key : null;
    setText(phaseTitle, p
      ? t('board.phaseHeading', { n: board.current + 1, count: board.phases.length, title: p.title })
      : t('board.noPhase'));
    const flags = [p ? kindLabel(p.kind) : null];
    // For those whose composers it closes, the lock is said by the bar's reason instead.
    if (board.locked && !composerBlocked().shared) flags.push(t('board.flagLocked'));
    if (board.lockAtZero) flags.push(t('board.flagLockAtZero'));
    if (board.anonymous) flags.push(t('board.flagAnonymous'));
    if (p && p.private_notes) flags.push(t('board.flagPrivate'));
    if (p && board.revealed.has(p.key)) flags.push(t('board.flagRevealed'));
    setText(phaseInfo, flags.filter(Boolean).join(' · '));
    votesLeftEl.hidden = !(p && p.vote_budget > 0 && board.writer && board.open);
    // Closed, the timer and its sound mean nothing any more.
    timerEl.hidden = !board.open;
    soundButton.hidden = !board.open;
    // Once revealed, the vote is closed: said where the votes left were.
    setText(votesLeftEl, !p ? '' : board.revealed.has(p.key) ? t('board.votesClosed')
      : t('board.votesLeft', { n: board.votesLeft(), budget: p.vote_budget }));
    drawVoters();
    const hints = {
      draft: 'board.hintDraft', scheduled: 'board.hintScheduled', closed: 'board.hintClosed',
      archived: 'board.hintClosed',
    };
    const hint = [];
    if (hints[board.state]) hint.push(t(hints[board.state]));
    // Someone whose access ended is told so in the bar (endedEl), not called an observer.
    if (board.me.role === 'observer' && !ui.ended) hint.push(t('board.hintObserver'));
    // « Notes privées » alone reads as « for good »: say until when, and what then.
    if (p && p.private_notes && board.writer && !board.facilitator && board.open) hint.push(t('board.hintPrivate'));
    setText(stateHint, hint.join(' '));
    stateHint.hidden = !hint.length;
    reportLink.hidden = !(board.state === 'closed' || board.state === 'archived');
    drawTimer();
  }

  /**
   * « 18 / 30 ont voté » for facilitators in a vote phase: those with a vote in it, out
   * of the participants and facilitators here (online) and anyone who voted (who may
   * have left, or voted by proxy). Without the presence list, only how many voted.
   */
  function drawVoters() {
    const p = board.phase;
    const show = Boolean(board.facilitator && p && p.vote_budget > 0 && board.open);
    votersEl.hidden = !show;
    if (!show) return;
    const voted = board.votersIn(p.key);
    const here = ui.people.filter((x) => x.online && (x.role === 'participant' || x.role === 'facilitator'));
    const total = new Set([...here.map((x) => x.key), ...voted]).size;
    setText(votersEl, here.length
      ? tn('board.votersOf', voted.length, { n: formatNumber(voted.length), total: formatNumber(total) })
      : tn('board.voters', voted.length, { n: formatNumber(voted.length) }));
  }

  // ------------------------------------------------------------ notes
  /**
   * `note` as this person sees it: with their edits not yet sent (offline) applied, and
   * the version those will give it, so that another edit chains on them.
   */
  function withPending(note) {
    let out = note;
    let bump = 0;
    for (const m of ui.pending) {
      if (m.note !== note.id) continue;
      if (m.op === 'note.edit') {
        out = {
          ...out,
          text: typeof m.text === 'string' ? m.text : out.text,
          colour: typeof m.colour === 'string' ? m.colour : out.colour,
          fields: m.fields && typeof m.fields === 'object' ? { ...m.fields } : out.fields,
        };
      }
      if (m.op === 'note.edit' || m.op === 'note.move' || m.op === 'note.group') bump += 1;
    }
    return bump ? { ...out, version: note.version + bump } : note;
  }
  const noteNow = (noteId) => {
    const note = board.notes.get(noteId);
    return note ? withPending(note) : null;
  };

  function editNote(note) {
    ui.editing.set(note.id, { draft: note.text, version: note.version, column: note.column });
    saveEdits();
    drawColumns();
    const area = columnsEl.querySelector(`[data-focus="note-${note.id}-text"]`);
    if (area) area.focus();
  }

  /** « Déplacer » from the keyboard: another column of the phase and/or a group of it. */
  async function moveNote(note) {
    const p = board.phase;
    const columns = p ? p.columns || [] : [];
    await openDialog({
      title: t('board.moveTitle'),
      signal,
      body: (close, titleId) => {
        const columnId = uid('colonne');
        const groupId = uid('groupe');
        const columnSelect = h('select', { id: columnId, name: 'column', disabled: !board.canChange(note) },
          columns.map((c) => h('option', { value: c.key, text: c.title })));
        columnSelect.value = note.column;
        const groupSelect = h('select', { id: groupId, name: 'group', disabled: !board.canGroup() });
        const fillGroups = () => {
          const groups = board.groupsIn(columnSelect.value);
          groupSelect.replaceChildren(h('option', { value: '', text: t('board.noGroup') }),
            ...groups.map((g) => h('option', { value: String(g.id), text: g.title })));
          groupSelect.value = columnSelect.value === note.column && note.group ? String(note.group) : '';
        };
        columnSelect.addEventListener('change', fillGroups);
        fillGroups();
        return createForm({
          labelledBy: titleId,
          children: [
            h('p', { class: 'hint', text: t('board.moveWhich', { text: note.text.length > 80 ? `${note.text.slice(0, 79)}…` : note.text }) }),
            h('div', { class: 'field' }, h('label', { for: columnId, text: t('board.moveColumn') }), columnSelect),
            h('div', { class: 'field' }, h('label', { for: groupId, text: t('board.groupLabel') }), groupSelect),
            actions(submitButton(t('board.moveSubmit')), button(t('common.cancel'), () => close(), { cls: 'button button-secondary' })),
          ],
          onSubmit: async () => {
            placeNote(note, columnSelect.value, groupSelect.value ? Number(groupSelect.value) : null, { follow: true });
            close();
          },
        }).form;
      },
    });
  }

  // A note moved from the dialog: once the move is on the board, focus follows it to its
  // new column (on a phone, that column's tab opens) and the move is said.
  let followed = null;

  /** Moves a note to `column` (when it changes) and into `group` (null: none). */
  function placeNote(note, column, group, { follow = false } = {}) {
    let version = note.version;
    if (column !== note.column && board.canChange(note)) {
      send('note.move', { note: note.id, version, column });
      if (follow) followed = { id: note.id, column };
      version += 1;
    } else if (column !== note.column) {
      showError(t('board.moveNotYours'));
      return;
    }
    const current = column !== note.column ? null : note.group || null;
    if (group !== current && board.canGroup()) send('note.group', { note: note.id, version, group });
  }

  async function mergeGroup(g) {
    const others = board.groupsIn(g.column).filter((x) => x.id !== g.id);
    await openDialog({
      title: t('board.mergeTitle', { title: g.title }),
      signal,
      body: (close, titleId) => {
        const id = uid('groupe');
        const select = h('select', { id, name: 'into' }, others.map((x) => h('option', { value: String(x.id), text: x.title })));
        return createForm({
          labelledBy: titleId,
          children: [
            h('p', { class: 'hint', text: t('board.mergeHint', { title: g.title }) }),
            h('div', { class: 'field' }, h('label', { for: id, text: t('board.mergeInto') }), select),
            actions(submitButton(t('board.mergeSubmit')), button(t('common.cancel'), () => close(), { cls: 'button button-secondary' })),
          ],
          onSubmit: async () => {
            send('group.merge', { group: g.id, into: Number(select.value) });
            close();
          },
        }).form;
      },
    });
  }

  async function deleteNote(note) {
    const ok = await confirmDialog({
      title: t('board.deleteTitle'), text: t('board.deleteText', { text: note.text }),
      confirmLabel: t('common.delete'), danger: true, signal,
    });
    if (ok) send('note.delete', { note: note.id, version: note.version });
  }

  function noteEditor(note, textId) {
    const state = ui.editing.get(note.id);
    const defs = board.fieldsOf(note.column);
    if (state.fields === undefined) state.fields = { ...note.fields };
    const fieldControls = fieldInputs(defs, state.fields, {
      focus: (key) => `note-${note.id}-field-${key}`,
      onInput: (key, value) => {
        state.fields[key] = value;
        saveEdits();
      },
    });
    const areaId = uid('note-edition');
    const conflictId = state.current !== undefined ? uid('conflit') : null;
    const area = h('textarea', {
      id: areaId, rows: '3', 'data-focus': `note-${note.id}-text`, 'aria-describedby': conflictId,
      oninput: (e) => {
        state.draft = e.target.value;
        saveEdits();
      },
    });
    area.value = state.draft;
    guardLength(area);
    // The colour is changed here too (recolour).
    if (state.colour === undefined) state.colour = note.colour;
    const colourId = uid('couleur');
    const colour = h('select', { id: colourId, 'data-focus': `note-${note.id}-colour`, onchange: (e) => {
      state.colour = e.target.value;
      saveEdits();
    } },
      COLOURS.map((c) => h('option', { value: c, text: t(`board.colour.${c}`) })));
    colour.value = COLOURS.includes(state.colour) ? state.colour : 'jaune';
    const save = () => {
      const text = state.draft.trim();
      if (!text) {
        showError(t('board.emptyNote'));
        area.focus();
        return;
      }
      if (chars(text) > NOTE_MAX) {
        showError(t('board.noteTooLong', { n: formatNumber(chars(text)), max: formatNumber(NOTE_MAX) }));
        area.focus();
        return;
      }
      if (!fieldsFit(defs, fieldControls.controls)) return;
      ui.editing.delete(note.id);
      const change = { note: note.id, version: state.version };
      if (text !== note.text) change.text = text;
      if (state.colour !== note.colour) change.colour = state.colour;
      // The fields the column defines replace the note's when one of them changed.
      if (defs.length) {
        const fields = readFields(fieldControls.controls);
        const before = {};
        for (const f of defs) if (note.fields[f.key]) before[f.key] = note.fields[f.key];
        if (JSON.stringify(fields) !== JSON.stringify(sortKeys(before, defs))) change.fields = fields;
      }
      if (change.text !== undefined || change.colour !== undefined || change.fields !== undefined) send('note.edit', change);
      drawColumns();
      const next = columnsEl.querySelector(`[data-focus="note-${note.id}-edit"]`);
      if (next) next.focus();
    };
    // Ctrl+Entrée saves, Échap cancels, from the text or any field; Entrée in a one-line
    // field saves too (as in a form).
    const onKey = (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || (e.target.tagName === 'INPUT' && !e.shiftKey))) {
        e.preventDefault();
        save();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        ui.editing.delete(note.id);
        drawColumns();
        columnsEl.querySelector(`[data-focus="note-${note.id}-edit"]`)?.focus();
      }
    };
    area.addEventListener('keydown', onKey);
    for (const control of fieldControls.controls.values()) control.addEventListener('keydown', onKey);
    return h('div', { class: 'note-editor' },
      state.current !== undefined
        ? h('p', { class: 'note-conflict', id: conflictId, text: t('board.conflict', { text: state.current }) }) : null,
      h('label', { for: areaId, text: t('board.editLabel') }),
      area,
      defs.length ? fieldControls.el : null,
      h('div', { class: 'field field-inline' }, h('label', { for: colourId, text: t('board.colourLabel') }), colour),
      h('div', { class: 'row-actions' },
        button(t('common.save'), save, { cls: 'button button-small', 'data-focus': `note-${note.id}-save`,
          'aria-describedby': textId }),
        button(t('common.cancel'), () => {
          ui.editing.delete(note.id);
          drawColumns();
          columnsEl.querySelector(`[data-focus="note-${note.id}-edit"]`)?.focus();
        }, { 'data-focus': `note-${note.id}-cancel` })));
  }

  function noteItem(note, column) {
    const textId = uid('note-texte');
    const votes = board.votesOn(note.id);
    const p = board.phase;
    // The reveal closes the vote: no vote, retraction nor proxy in it any more.
    const voting = board.votingOpen() && board.writer && board.open;
    const pendingEdit = ui.pending.some((m) => m.note === note.id && m.op.startsWith('note.'));
    const meta = [];
    if (note.author) meta.push(note.author.name);
    else if (board.anonymous) meta.push(t('board.anonymousAuthor'));
    // One's own name shows on one's own note: say that the others do not see it.
    if (board.mine(note) && (board.anonymous || note.anonymous)) meta.push(t('board.anonymousMine'));
    if (note.hidden === 'private') meta.push(t('board.notePrivate'));
    if (note.hidden === 'prework') meta.push(t('board.notePrework'));
    if (pendingEdit) meta.push(t('board.notePendingChange'));
    const voteText = [];
    const totalShown = votes.total !== undefined && (votes.total > 0 || voting);
    if (totalShown) voteText.push(tn('board.voteCount', votes.total));
    // Before the reveal only one's own votes are known: said on their own.
    if (votes.mine > 0) voteText.push(totalShown ? t('board.myVotes', { n: votes.mine }) : tn('board.myVotesAlone', votes.mine));

    const controls = [];
    if (voting) {
      // The button says how many votes are left; with none left it stays focusable
      // (aria-disabled) and does nothing, so that focus is not lost on the last vote.
      const left = board.votesLeft();
      controls.push(button(left > 0 ? tn('board.voteLeft', left) : t('board.noVoteLeft'), () => {
        if (board.votesLeft() > 0) send('vote.cast', { note: note.id });
      }, { 'data-focus': `note-${note.id}-vote`, 'aria-describedby': textId, 'aria-disabled': left > 0 ? null : 'true' }));
      if (votes.mine > 0) {
        controls.push(button(t('board.unvote'), () => send('vote.retract', { note: note.id }),
          { 'data-focus': `note-${note.id}-unvote`, 'aria-describedby': textId }));
      }
    }
    const phaseColumns = board.phase ? (board.phase.columns || []).length : 0;
    if (!ui.editing.has(note.id) && ((board.canChange(note) && phaseColumns > 1) || (board.canGroup() && board.groupsIn(column.key).length))) {
      // Tapped (or clicked): the move dialog. Dragged with a finger or a pen: the note
      // follows and is dropped on a column, a group or a column tab (touchDrag).
      controls.push(touchDrag(button(t('board.move'), () => moveNote(note),
        { cls: 'button button-secondary button-small note-move', 'data-focus': `note-${note.id}-move`, 'aria-describedby': textId }), note));
    }
    // One's own note with votes keeps its text during the vote: said instead of the buttons.
    const frozen = board.canChange(note) && !board.canEdit(note) && !ui.editing.has(note.id)
      ? h('p', { class: 'note-frozen', text: t('board.noteFrozen') }) : null;
    if (board.canEdit(note) && !ui.editing.has(note.id)) {
      controls.push(button(t('common.edit'), () => editNote(note),
        { 'data-focus': `note-${note.id}-edit`, 'aria-describedby': textId }));
      controls.push(button(t('common.delete'), () => deleteNote(note),
        { cls: 'button button-danger-quiet button-small', 'data-focus': `note-${note.id}-delete`,
          'aria-describedby': textId }));
    }
    const groups = board.groupsIn(column.key);
    let groupSelect = null;
    if (board.canGroup() && groups.length) {
      const selectId = uid('groupe');
      const select = h('select', {
        id: selectId, 'data-focus': `note-${note.id}-group`, 'aria-describedby': textId,
        onchange: (e) => send('note.group', {
          note: note.id, version: note.version, group: e.target.value ? Number(e.target.value) : null,
        }),
      }, h('option', { value: '', text: t('board.noGroup') }),
      groups.map((g) => h('option', { value: String(g.id), text: g.title })));
      select.value = note.group ? String(note.group) : '';
      groupSelect = h('div', { class: 'field field-inline' }, h('label', { for: selectId, text: t('board.groupLabel') }), select);
    }

    // A long note is clamped, with « Lire la suite » (the whole text stays in the page).
    const long = chars(note.text) > CLAMP_CHARS || note.text.split('\n').length > CLAMP_LINES;
    const whole = ui.expanded.has(note.id);
    const more = long && !ui.editing.has(note.id) ? button(t(whole ? 'board.readLess' : 'board.readMore'), () => {
      if (whole) ui.expanded.delete(note.id); else ui.expanded.add(note.id);
      drawColumns();
    }, { cls: 'button-link note-more', 'aria-expanded': String(whole), 'aria-controls': textId, 'data-focus': `note-${note.id}-more` }) : null;
    const draggable = board.canChange(note) || board.canGroup();
    return h('li', {
      class: `note note-colour-${COLOURS.includes(note.colour) ? note.colour : 'jaune'}`,
      'data-note': String(note.id),
      draggable: draggable ? 'true' : null,
      ondragstart: draggable ? (e) => {
        e.dataTransfer.setData('application/x-relais-note', String(note.id));
        e.dataTransfer.effectAllowed = 'move';
      } : null,
    },
      ui.editing.has(note.id) ? noteEditor(note, textId) : null,
      h('p', { class: `note-text${long && !whole ? ' note-clamped' : ''}`, id: textId, text: note.text, hidden: ui.editing.has(note.id) }),
      more,
      ui.editing.has(note.id) ? null : fieldList(board.noteFields(note)),
      meta.length ? h('p', { class: 'note-meta', text: meta.join(' · ') }) : null,
      voteText.length ? h('p', { class: 'note-votes', text: voteText.join(' · ') }) : null,
      frozen,
      controls.length ? h('div', { class: 'row-actions' }, controls) : null,
      groupSelect);
  }

  function pendingItem(msg) {
    return h('li', { class: `note note-pending note-colour-${COLOURS.includes(msg.colour) ? msg.colour : 'jaune'}` },
      h('p', { class: 'note-text', text: msg.text }),
      fieldList(board.noteFields({ column: msg.column, fields: msg.fields || {} })),
      h('p', { class: 'note-meta note-pending-label', text: t('board.notePending') }));
  }

  function groupHeading(g) {
    const headingId = uid('groupe-titre');
    const tools = board.canGroup() ? h('div', { class: 'row-actions' },
      button(t('board.groupRename'), () => renameGroup(g),
        { 'data-focus': `group-${g.id}-rename`, 'aria-describedby': headingId }),
      board.groupsIn(g.column).length > 1 ? button(t('board.merge'), () => mergeGroup(g),
        { 'data-focus': `group-${g.id}-merge`, 'aria-describedby': headingId }) : null,
      button(t('board.groupDelete'), () => deleteGroup(g),
        { cls: 'button button-danger-quiet button-small', 'data-focus': `group-${g.id}-delete`,
          'aria-describedby': headingId })) : null;
    return [h('h4', { class: 'group-title', id: headingId, text: g.title }), tools];
  }

  async function deleteGroup(g) {
    const ok = await confirmDialog({
      title: t('board.groupDeleteTitle', { title: g.title }), text: t('board.groupDeleteText'),
      confirmLabel: t('board.groupDelete'), danger: true, signal,
    });
    if (ok) send('group.delete', { group: g.id });
  }

  async function renameGroup(g) {
    await openDialog({
      title: t('board.groupRenameTitle'),
      signal,
      body: (close, titleId) => createForm({
        labelledBy: titleId,
        children: [
          inputField({ label: t('board.groupName'), name: 'title', value: g.title, required: true,
            attrs: { maxlength: '200' } }),
          actions(submitButton(t('common.save')),
            button(t('common.cancel'), () => close(), { cls: 'button button-secondary' })),
        ],
        onSubmit: async (values) => {
          send('group.rename', { group: g.id, title: values.title });
          close();
        },
      }).form,
    });
  }

  /**
   * A note's text is at most NOTE_MAX characters (a field's value FIELD_MAX): a paste that
   * would go beyond is refused with a message (the field keeps what it had), and typing
   * beyond says so. Nothing is ever cut.
   */
  function guardLength(area, label = null) {
    const max = label === null ? NOTE_MAX : FIELD_MAX;
    area.addEventListener('paste', (e) => {
      const pasted = e.clipboardData ? e.clipboardData.getData('text/plain') : '';
      const kept = area.value.slice(0, area.selectionStart) + area.value.slice(area.selectionEnd);
      const n = chars(kept) + chars(pasted);
      if (n > max) {
        e.preventDefault();
        const nums = { n: formatNumber(n), max: formatNumber(max) };
        showError(label === null ? t('board.pasteTooLong', nums) : t('board.fieldPasteTooLong', { ...nums, label }));
      }
    });
    area.addEventListener('input', () => {
      const n = chars(area.value);
      area.setAttribute('aria-invalid', String(n > max));
      if (n > max) {
        const nums = { n: formatNumber(n), max: formatNumber(max) };
        showError(label === null ? t('board.noteTooLong', nums) : t('board.fieldTooLong', { ...nums, label }));
      }
    });
  }

  /**
   * One labelled control per field of a structured column: a list (with an empty choice)
   * when the field has choices, else a one-line text. `values` fills them; `onInput(key,
   * value)` follows typing; `focus(key)` names each control for focus keeping.
   * Returns { el, controls: Map key -> control }.
   */
  function fieldInputs(defs, values, { focus = null, onInput = null } = {}) {
    const controls = new Map();
    const el = h('div', { class: 'note-fields-form' }, defs.map((f) => {
      const id = uid('champ');
      const hintId = f.help ? uid('aide') : null;
      const attrs = { id, name: `field-${f.key}`, 'aria-describedby': hintId, 'data-focus': focus ? focus(f.key) : null };
      let control;
      if (Array.isArray(f.choices) && f.choices.length) {
        control = h('select', attrs, h('option', { value: '', text: t('board.fieldNone') }),
          f.choices.map((c) => h('option', { value: c, text: c })));
      } else {
        control = h('input', { ...attrs, type: 'text', autocomplete: 'off' });
        guardLength(control, f.label);
      }
      control.value = values[f.key] || '';
      if (onInput) control.addEventListener(control.tagName === 'SELECT' ? 'change' : 'input', () => onInput(f.key, control.value));
      controls.set(f.key, control);
      // The help after the control: shown while it has focus (CSS), it moves nothing above.
      return h('div', { class: 'field' },
        h('label', { for: id, text: f.label }),
        control,
        hintId ? h('p', { class: 'hint', id: hintId, text: f.help }) : null);
    }));
    return { el, controls };
  }

  /** Whether every field's value is short enough (else says which one and focuses it). */
  function fieldsFit(defs, controls) {
    for (const f of defs) {
      const control = controls.get(f.key);
      const n = control ? chars(control.value.trim()) : 0;
      if (n > FIELD_MAX) {
        showError(t('board.fieldTooLong', { n: formatNumber(n), max: formatNumber(FIELD_MAX), label: f.label }));
        control.focus();
        return false;
      }
    }
    return true;
  }

  /** `fields` with its keys in the order of `defs` (to compare two sets of values). */
  function sortKeys(fields, defs) {
    const out = {};
    for (const f of defs) if (fields[f.key]) out[f.key] = fields[f.key];
    return out;
  }

  /** Locked by the timer at 0:00 (the facilitator chose it), for participants. */
  function timeLocked() {
    return board.lockAtZero && !board.facilitator && board.timer.running && live && timerRemaining() === 0;
  }

  /**
   * Why this person may not add a note now: { text ('' when they may), shared (the
   * board's lock, said once in the bar rather than by each composer) }.
   */
  function composerBlocked() {
    const own = (text) => ({ text, shared: false });
    if (ui.ended) return own(ui.ended);
    // Said once, by the hint under the bar, which the text fields name.
    if (!board.open) return { text: t('board.hintClosed'), shared: true, said: stateHint };
    if (board.me.role === 'observer') return own(t('board.hintObserver'));
    if (board.state === 'draft' && !board.facilitator) return own(t('board.composerDraft'));
    if (board.locked && !board.facilitator) return { text: t('board.composerLocked'), shared: true };
    if (timeLocked()) return { text: t('board.composerTimeUp'), shared: true };
    return own('');
  }

  /**
   * Touch drag and drop (HTML5 drag and drop is mouse-only on most phones): a finger or a
   * pen moving on a note's « Déplacer » button (touch-action: none, so the page does not
   * scroll) drags the note; it is dropped on whatever drop target is under the finger —
   * a column, a group, or on a phone a column's tab. A tap stays a tap (the dialog).
   */
  function touchDrag(handle, note) {
    handle.addEventListener('pointerdown', (down) => {
      if (down.pointerType === 'mouse' || !down.isPrimary) return;
      const id = down.pointerId;
      let ghost = null;
      let over = null;
      const targetAt = (x, y) => document.elementFromPoint(x, y)?.closest('[data-drop-column]') || null;
      const move = (e) => {
        if (e.pointerId !== id) return;
        if (!ghost && Math.hypot(e.clientX - down.clientX, e.clientY - down.clientY) < 8) return;
        e.preventDefault();
        if (!ghost) {
          ghost = h('div', { class: 'drag-ghost', 'aria-hidden': 'true', text: note.text.length > 60 ? `${note.text.slice(0, 59)}…` : note.text });
          document.body.append(ghost);
        }
        ghost.style.transform = `translate(${Math.round(e.clientX + 12)}px, ${Math.round(e.clientY + 12)}px)`;
        const found = targetAt(e.clientX, e.clientY);
        if (found !== over) {
          over?.classList.remove('drop-over');
          over = found;
          over?.classList.add('drop-over');
        }
      };
      const end = (e) => {
        if (e.pointerId !== id) return;
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', end);
        handle.removeEventListener('pointercancel', end);
        over?.classList.remove('drop-over');
        if (!ghost) return;
        ghost.remove();
        // A drag is not a tap: the click that follows does not open the dialog.
        const swallow = (c) => {
          c.preventDefault();
          c.stopImmediatePropagation();
        };
        handle.addEventListener('click', swallow, { capture: true, once: true });
        setTimeout(() => handle.removeEventListener('click', swallow, { capture: true }), 400);
        if (e.type !== 'pointerup' || !over) return;
        const current = noteNow(note.id);
        const group = over.dataset.dropGroup ? Number(over.dataset.dropGroup) : null;
        if (current) placeNote(current, over.dataset.dropColumn, group);
      };
      try {
        handle.setPointerCapture(id);
      } catch { /* a synthetic pointer has nothing to capture */ }
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', end);
      handle.addEventListener('pointercancel', end);
    });
    return handle;
  }

  /** Mouse drag and drop: a note dropped on a column (or a group of it) moves there. */
  function dropTarget(el, columnKey, groupId) {
    el.dataset.dropColumn = columnKey;
    if (groupId) el.dataset.dropGroup = String(groupId);
    el.addEventListener('dragover', (e) => {
      if (!e.dataTransfer.types.includes('application/x-relais-note')) return;
      e.preventDefault();
      e.stopPropagation();
      el.classList.add('drop-over');
    });
    el.addEventListener('dragleave', () => el.classList.remove('drop-over'));
    el.addEventListener('drop', (e) => {
      const id = Number(e.dataTransfer.getData('application/x-relais-note'));
      el.classList.remove('drop-over');
      if (!id) return;
      e.preventDefault();
      e.stopPropagation();
      const note = noteNow(id);
      if (note) placeNote(note, columnKey, groupId);
    });
    return el;
  }

  // One persistent block per column (so that what is being typed survives updates):
  // the notes list is rebuilt, the forms are kept.
  const columnViews = new Map();

  // The composers' hint: « Ctrl+Entrée » only where there is a keyboard to press it
  // (not on a phone or a touch screen).
  const touchOrNarrow = window.matchMedia('(max-width: 40rem), (pointer: coarse)');
  const composerHints = new Set();
  const hintText = () => t(touchOrNarrow.matches ? 'board.newNoteHintTouch' : 'board.newNoteHint', { max: formatNumber(NOTE_MAX) });
  function composerHint(el) {
    composerHints.add(el);
    el.textContent = hintText();
    return el;
  }
  const redrawHints = () => { for (const el of composerHints) setText(el, hintText()); };
  touchOrNarrow.addEventListener('change', redrawHints);
  signal.addEventListener('abort', () => touchOrNarrow.removeEventListener('change', redrawHints), { once: true });

  function columnView(column) {
    if (columnViews.has(column.key)) return columnViews.get(column.key);
    const headingId = uid('colonne');
    const heading = h('h3', { id: headingId, tabindex: '-1' });
    const help = h('p', { class: 'hint column-help' });
    // The notes scroll inside their column (focusable, so that the keyboard scrolls too).
    const notes = h('div', { class: 'column-notes', tabindex: '0', role: 'region' });

    const areaId = uid('note');
    const hintId = uid('aide');
    const reasonId = uid('raison');
    const colourId = uid('couleur');
    // No maxlength: a paste longer than a note is refused with a message, never cut.
    const area = h('textarea', { id: areaId, name: 'text', rows: '2', 'aria-describedby': `${hintId} ${reasonId}` });
    const reason = h('p', { class: 'composer-reason', id: reasonId, hidden: true });
    guardLength(area);
    const colour = h('select', { id: colourId, name: 'colour' },
      COLOURS.map((c) => h('option', { value: c, text: t(`board.colour.${c}`) })));
    let lastTyping = 0;
    const typed = () => {
      const now = Date.now();
      if (live && now - lastTyping > TYPING_EVERY_MS) {
        lastTyping = now;
        live.typing();
      }
    };
    // A structured column's fields, under the text: rebuilt when the phase defines other
    // ones for this column (what was typed in a field that stays is kept).
    const fieldsBox = h('div', { class: 'note-form-fields', hidden: true });
    let fieldDefs = [];
    let fieldControls = new Map();
    const setFields = (defs) => {
      const list = Array.isArray(defs) ? defs : [];
      if (JSON.stringify(list) === JSON.stringify(fieldDefs)) return;
      const kept = readFields(fieldControls);
      fieldDefs = list;
      const built = fieldInputs(list, kept, { onInput: typed });
      fieldControls = built.controls;
      fieldsBox.replaceChildren(...(list.length ? [built.el] : []));
      fieldsBox.hidden = !list.length;
    };
    /** A refused note's fields back in place, without losing what was typed since. */
    const restoreFields = (fields) => {
      for (const [key, value] of Object.entries(fields || {})) {
        const control = fieldControls.get(key);
        if (!control || typeof value !== 'string') continue;
        const now = control.value.trim();
        if (!now) control.value = value;
        else if (control.tagName !== 'SELECT' && !now.includes(value)) control.value = `${value} / ${now}`;
      }
    };
    const addForm = h('form', { class: 'note-form', 'aria-labelledby': headingId, novalidate: true },
      h('div', { class: 'field' },
        h('label', { for: areaId, text: t('board.newNote') }),
        composerHint(h('p', { class: 'hint', id: hintId })),
        reason,
        area),
      fieldsBox,
      h('div', { class: 'note-form-row' },
        // The colour's name is in the list itself; its label is for screen readers (the
        // row then fits a column: the list and the button side by side).
        h('div', { class: 'field field-inline' }, h('label', { for: colourId, class: 'visually-hidden', text: t('board.colourLabel') }), colour),
        h('button', { type: 'submit', class: 'button button-small', text: t('board.addNote') })));
    addForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = area.value.trim();
      if (!text) {
        showError(t('board.emptyNote'));
        area.focus();
        return;
      }
      if (chars(text) > NOTE_MAX) {
        showError(t('board.noteTooLong', { n: formatNumber(chars(text)), max: formatNumber(NOTE_MAX) }));
        area.focus();
        return;
      }
      if (!fieldsFit(fieldDefs, fieldControls)) return;
      const msg = { column: column.key, text, colour: colour.value };
      const fields = readFields(fieldControls);
      if (Object.keys(fields).length) msg.fields = fields;
      if (send('note.add', msg)) ui.added = { column: column.key, text };
      area.value = '';
      for (const control of fieldControls.values()) control.value = '';
      draft.clear();  // sent: the live queue keeps it until acknowledged
      area.focus();
    });
    // What is typed here survives a reload or a closed tab (per workshop and column).
    const draft = keepDraft(addForm, `atelier.${id}.note.${column.key}`);
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        addForm.requestSubmit();
      }
    });
    area.addEventListener('input', typed);

    const groupInputId = uid('groupe');
    const groupInput = h('input', { id: groupInputId, type: 'text', maxlength: '200' });
    const groupForm = h('form', { class: 'group-form', novalidate: true, 'aria-labelledby': headingId },
      h('div', { class: 'field' }, h('label', { for: groupInputId, text: t('board.newGroup') }), groupInput),
      h('button', { type: 'submit', class: 'button button-secondary button-small', text: t('board.addGroup') }));
    const groupBox = h('details', { class: 'group-create' }, h('summary', { text: t('board.groupCreate') }), groupForm);
    groupForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = groupInput.value.trim();
      if (!text) {
        showError(t('board.emptyGroup'));
        groupInput.focus();
        return;
      }
      send('group.add', { column: column.key, title: text });
      groupInput.value = '';
    });

    dropTarget(notes, column.key, null);
    const view = {
      // The composer first: writing never needs scrolling past the notes.
      el: h('section', { class: 'board-column', id: uid('colonne-bloc'), 'aria-labelledby': headingId }, heading, help, addForm, notes, groupBox),
      heading, help, notes, addForm, groupBox, area, reason, hintId, setFields, restoreFields, draft, title: column.title,
    };
    columnViews.set(column.key, view);
    return view;
  }

  // On a phone one column is shown at a time, chosen with these tabs (CSS shows them
  // only on narrow screens; wider, every column is there side by side).
  const columnTabs = h('div', { class: 'column-tabs' });
  function drawTabs(columns) {
    const vm = [columns.map((c) => [c.key, c.title, board.notesIn(c.key).length]), ui.column];
    update(columnTabs, vm, () => (columns.length > 1 ? h('div', { class: 'column-tabs-inner', role: 'group', 'aria-label': t('board.columnTabs') },
      columns.map((c) => button(t('board.columnTab', { title: c.title, n: board.notesIn(c.key).length }), () => {
        ui.column = c.key;
        drawColumns();
        columnView(c).heading.focus();
      }, { cls: 'button button-secondary button-small column-tab', 'aria-pressed': String(c.key === ui.column), 'data-focus': `tab-${c.key}`,
        'aria-controls': columnView(c).el.id, 'data-drop-column': c.key }))) : null), () => phaseTitle);
  }

  // Text typed in a column the phase no longer shows (the facilitator moved on while it
  // was being written) is not lost: it is kept, shown here to copy, and back in its
  // column if a phase shows that column again. So is an edit of a note of such a column;
  // the text of an edit whose note went (deleted meanwhile) is offered back here too.
  const unsentBox = h('div', { class: 'notice notice-info board-unsent', hidden: true, role: 'status', tabindex: '-1' });
  /** The title of the column `key` in the plan ('' when no phase has it). */
  function columnTitle(key) {
    for (const p of board.phases) for (const c of p.columns || []) if (c.key === key) return c.title;
    return '';
  }
  const redrawUnsent = () => drawUnsent(board.phase ? board.phase.columns || [] : []);
  function unsentItem(label, text, ...tools) {
    return h('li', {},
      label ? h('strong', { text: label }) : null, h('span', { class: 'board-unsent-text', text }), ' ',
      ...tools.filter(Boolean).map((x) => [x, ' ']).flat());
  }
  function drawUnsent(columns) {
    const shown = new Set(columns.map((c) => c.key));
    const left = [...columnViews.entries()].filter(([key, v]) => !shown.has(key) && v.area.value.trim());
    const edits = [...ui.editing].filter(([noteId]) => {
      const note = board.notes.get(noteId);
      return note && !shown.has(note.column);
    });
    const orphans = ui.orphans;
    const vm = [left.map(([key, v]) => [key, v.area.value]), edits.map(([noteId, state]) => [noteId, state.draft]),
      orphans.map((o) => [o.column, o.text, shown.has(o.column)])];
    const moved = left.length + edits.length;
    const drop = (forget) => button(t('board.unsentDrop'), () => {
      forget();
      saveEdits();
      redrawUnsent();
    }, { cls: 'button button-small button-secondary' });
    unsentBox.hidden = !(moved || orphans.length);
    update(unsentBox, vm, () => [
      moved ? h('p', { text: tn('board.unsentTitle', moved) }) : null,
      moved ? h('ul', {},
        left.map(([, v]) => unsentItem(`${v.title} : `, v.area.value, drop(() => {
          v.area.value = '';
          v.draft.clear();
        }))),
        edits.map(([noteId, state]) => unsentItem(t('board.unsentEdit', { title: columnTitle(board.notes.get(noteId).column) }),
          state.draft, drop(() => ui.editing.delete(noteId))))) : null,
      orphans.length ? h('p', { text: tn('board.editGone', orphans.length) }) : null,
      orphans.length ? h('ul', {}, orphans.map((o) => {
        const title = columnTitle(o.column);
        return unsentItem(title ? `${title} : ` : '', o.text,
          shown.has(o.column) ? button(t('board.editGoneReuse'), () => reuseOrphan(o), { cls: 'button button-small' }) : null,
          drop(() => { ui.orphans = ui.orphans.filter((x) => x !== o); }));
      })) : null,
    ], () => (unsentBox.hidden ? phaseTitle : unsentBox));
  }

  /** The text of an edit whose note went, into its column's composer (to send anew). */
  function reuseOrphan(o) {
    const view = columnViews.get(o.column);
    if (!view) return;
    const typed = view.area.value.trim();
    view.area.value = typed ? `${o.text}\n${view.area.value}` : o.text;
    view.draft.save();
    ui.orphans = ui.orphans.filter((x) => x !== o);
    ui.column = o.column;
    saveEdits();
    drawColumns();
    view.area.focus();
  }

  /** Edits whose note went, or is no longer this person's to change: their text is kept. */
  function checkEdits() {
    let changed = false;
    for (const [noteId, state] of ui.editing) {
      const note = board.notes.get(noteId);
      if (note && board.canChange(note)) continue;
      ui.editing.delete(noteId);
      if (String(state.draft || '').trim()) ui.orphans.push({ column: note ? note.column : String(state.column || ''), text: state.draft });
      changed = true;
    }
    if (changed) saveEdits();
  }

  function drawColumns() {
    const p = board.phase;
    const columns = p ? p.columns || [] : [];
    const arrived = followed && board.notes.get(followed.id)?.column === followed.column ? followed : null;
    if (arrived) {
      followed = null;
      ui.column = arrived.column;
    }
    if (!columns.some((c) => c.key === ui.column)) ui.column = columns.length ? columns[0].key : null;
    if (board.loaded) checkEdits();
    drawTabs(columns);
    const wanted = columns.map((c) => columnView(c).el);
    let focusLost = false;
    if (wanted.length !== columnsEl.children.length || wanted.some((el, i) => columnsEl.children[i] !== el)) {
      const active = document.activeElement;
      const inside = Boolean(active && columnsEl.contains(active));
      columnsEl.replaceChildren(...wanted);
      if (active && wanted.some((el) => el.contains(active))) active.focus();
      else focusLost = inside;
    }
    drawUnsent(columns);
    // What had the focus went with its column (the phase changed while someone typed):
    // the focus goes to where their text is now, or to the new phase's title — never
    // to the page's body, where the next keystrokes would be lost.
    if (focusLost) (unsentBox.hidden ? phaseTitle : unsentBox).focus();
    const shared = composerBlocked();
    // The closed workshop is said once, under the bar; the lock, in the bar.
    const inBar = shared.shared && !shared.said;
    barReason.hidden = !inBar;
    setText(barReason, inBar ? shared.text : '');
    for (const column of columns) {
      const view = columnView(column);
      view.heading.textContent = column.title;
      view.notes.setAttribute('aria-label', t('board.notesRegion', { title: column.title }));
      view.help.textContent = column.help || '';
      view.help.hidden = !column.help;
      view.setFields(column.fields);
      view.el.classList.toggle('column-structured', Array.isArray(column.fields) && column.fields.length > 0);
      // The composer says why it is closed before anyone types (observers have none);
      // the board's lock is said once, in the bar, which the text field names.
      const blocked = composerBlocked();
      view.addForm.hidden = board.me.role === 'observer' && !ui.ended;
      view.reason.hidden = !blocked.text || blocked.shared;
      setText(view.reason, blocked.shared ? '' : blocked.text);
      view.area.setAttribute('aria-describedby', [view.hintId, view.reason.id, blocked.shared ? (blocked.said || barReason).id : null].filter(Boolean).join(' '));
      for (const control of view.addForm.elements) control.disabled = Boolean(blocked.text);
      view.groupBox.hidden = !board.canGroup() || Boolean(ui.ended);
      view.el.classList.toggle('column-current', column.key === ui.column);
      const notes = board.notesIn(column.key).map(withPending);
      const groups = board.groupsIn(column.key);
      const pending = ui.pending.filter((m) => m.op === 'note.add' && m.column === column.key);
      const vm = {
        notes: notes.map((n) => [n, board.votesOn(n.id), board.canChange(n), board.canEdit(n),
          ui.editing.has(n.id) ? ui.editing.get(n.id).current ?? true : false,
          ui.pending.some((m) => m.note === n.id), ui.expanded.has(n.id)]),
        groups, pending: pending.map((m) => [m.id, m.text, m.colour, m.fields || null]),
        phase: p.key, budget: p.vote_budget, left: board.votesLeft(), voting: board.votingOpen(), anon: board.anonymous,
        canGroup: board.canGroup(), writer: board.writer,
      };
      update(view.notes, vm, () => {
        const byGroup = (gid) => notes.filter((n) => (n.group || null) === gid);
        const known = new Set(groups.map((g) => g.id));
        const loose = notes.filter((n) => !n.group || !known.has(n.group));
        const list = (items) => h('ul', { class: 'note-list' }, items.map((n) => noteItem(n, column)));
        const parts = groups.map((g) => dropTarget(h('div', { class: 'note-group' }, groupHeading(g), list(byGroup(g.id))), column.key, g.id));
        parts.push(list(loose));
        if (pending.length) parts.push(h('ul', { class: 'note-list' }, pending.map(pendingItem)));
        if (!notes.length && !pending.length) parts.push(h('p', { class: 'hint', text: t('board.noNotes') }));
        return parts;
      }, () => view.heading);
    }
    saveEdits();
    if (ui.refocus !== null) {
      // A refused edit is back in its editor: the focus goes back into it.
      const area = columnsEl.querySelector(`[data-focus="note-${ui.refocus}-text"]`);
      ui.refocus = null;
      if (area) area.focus();
    }
    if (arrived) {
      const column = columns.find((c) => c.key === arrived.column);
      columnsEl.querySelector(`[data-focus="note-${arrived.id}-move"]`)?.focus();
      if (column) setText(phaseNews, t('board.movedTo', { title: column.title }));
    }
  }

  // ------------------------------------------------------------ presence, chat, reactions
  function drawPresence() {
    // Everyone who came since the room was loaded: those online first, then by name.
    const people = ui.people.slice().sort((a, b) => Number(b.online) - Number(a.online) || compare(a.name, b.name));
    // Two people with the same name (two guests « Bruno ») are told apart by a number,
    // in the order they first came (their keys).
    const sameName = new Map();
    for (const p of ui.people.slice().sort((a, b) => compare(a.key, b.key))) {
      const list = sameName.get(p.name) || [];
      list.push(p.key);
      sameName.set(p.name, list);
    }
    const shownName = (p) => {
      const list = sameName.get(p.name) || [];
      const base = p.name || t('board.anonymousAuthor');
      return list.length > 1 ? t('board.sameName', { name: base, n: list.indexOf(p.key) + 1 }) : base;
    };
    update(presenceEl, people, () => (people.length
      ? [
        h('p', { class: 'hint presence-count', text: t('board.presenceCount', {
          online: formatNumber(people.filter((p) => p.online).length), count: formatNumber(people.length),
        }) }),
        h('ul', { class: 'presence-list' }, people.map((p) => h('li', { class: p.online ? 'online' : 'away' },
          h('span', { class: 'presence-name', text: shownName(p) }), ' ',
          h('span', { class: 'hint', text: `${roleLabel(p.role)} · ${t(p.online ? 'board.online' : 'board.away')}` })))),
      ]
      : h('p', { class: 'hint', text: t('board.nobody') })));
    const now = Date.now();
    const names = [...ui.typing.values()].filter((x) => x.until > now).map((x) => x.name || t('board.someone'));
    setText(typingEl, names.length ? tn('board.typing', names.length, { names: listFormat.format(names) }) : '');
  }

  function drawReactions() {
    const writer = board.writer && board.open;
    const vm = [board.reactions, writer];
    update(reactionsEl, vm, () => REACTIONS.map((emoji) => {
      const n = board.reactions[emoji] || 0;
      const label = t('board.react', { emoji, n });
      return writer
        ? button(`${emoji} ${n}`, () => send('reaction', { emoji }),
          { cls: 'button button-secondary button-small reaction', 'aria-label': label, 'data-focus': `reaction-${emoji}` })
        : h('span', { class: 'reaction-count', text: `${emoji} ${n}`, title: label });
    }));
  }

  function drawChat() {
    // Messages sent offline wait at the end of the list, said to be waiting.
    const waiting = ui.pending.filter((m) => m.op === 'chat.send' && typeof m.text === 'string');
    const vm = [board.chat.map((m) => [m.id, m.text, m.by && m.by.name, m.at]), waiting.map((m) => [m.id, m.text])];
    if (chatList.dataset.sig === JSON.stringify(vm)) return;
    const atBottom = chatList.scrollHeight - chatList.scrollTop - chatList.clientHeight < 40;
    const line = (author, text, after) => h('li', after.pending ? { class: 'chat-pending' } : {},
      h('span', { class: 'chat-author', text: author }),
      h('span', { class: 'visually-hidden', text: '\u00A0: ' }), ' ',
      h('span', { class: 'chat-text', text }), ' ',
      after.text ? h('span', { class: `hint ${after.pending ? 'chat-pending-label' : 'chat-time'}`, text: after.text }) : null);
    update(chatList, vm, () => (board.chat.length || waiting.length
      ? [
        ...board.chat.map((m) => line(m.by ? m.by.name : t('board.anonymousAuthor'), m.text, { text: m.at ? formatTime(m.at) : '' })),
        ...waiting.map((m) => line(board.me.name || t('board.someone'), m.text, { text: t('board.notePending'), pending: true })),
      ]
      : h('li', { class: 'hint', text: t('board.chatEmpty') })));
    if (atBottom) chatList.scrollTop = chatList.scrollHeight;
  }

  const chatForm = createForm({
    label: t('board.chatTitle'),
    className: 'form chat-form',
    children: [
      inputField({ label: t('board.chatMessage'), name: 'text', required: true, autocomplete: 'off',
        attrs: { maxlength: '1000' } }),
      actions(submitButton(t('board.chatSend'), 'button button-small')),
    ],
    onSubmit: async (values, form) => {
      send('chat.send', { text: values.text });
      form.reset();
      chatDraft.clear(); // sent: the outbox keeps it until acknowledged
      form.elements.namedItem('text').focus();
    },
  });
  // A message typed and not sent survives a reload, as a note's text does.
  const chatDraft = keepDraft(chatForm.form, `atelier.${id}.chat`);

  // ------------------------------------------------------------ ranking and « enjeux retenus »
  // After a vote's reveal: its ranking (ties shown), and for the facilitator « retenir »
  // the top N for the action plan. In the action plan: the retained items, which actions
  // answer.
  const rankingSection = h('section', { class: 'block panel board-ranking', hidden: true });
  const retainedSection = h('section', { class: 'block panel board-retained', hidden: true });
  const retainCountId = uid('nombre');
  const retainForm = createForm({
    label: t('board.retainTitle'),
    className: 'form retain-form',
    children: [
      h('div', { class: 'field field-inline' },
        h('label', { for: retainCountId, text: t('board.retainCount') }),
        h('input', { id: retainCountId, name: 'count', type: 'number', min: '1', max: '50', value: '3', inputmode: 'numeric' })),
      actions(submitButton(t('board.retainSubmit'), 'button button-small')),
    ],
    onSubmit: async (values) => {
      const count = Number(values.count);
      if (!Number.isInteger(count) || count < 1 || count > 50) throw Object.assign(new Error(t('board.retainInvalid')), { field: 'count' });
      send('ranking.retain', { count, phase: board.phase && board.revealed.has(board.phase.key) ? board.phase.key : undefined });
    },
  });

  function rankText(x, list) {
    const tie = list.filter((y) => y.rank === x.rank).length > 1;
    return tn(tie ? 'board.rankTie' : 'board.rank', x.rank);
  }

  function drawRanking() {
    const p = board.phase;
    const list = p && p.vote_budget > 0 ? board.ranking(p.key) : [];
    const revealed = Boolean(p && p.vote_budget > 0 && board.revealed.has(p.key));
    rankingSection.hidden = !revealed;
    const retainedKeys = new Set(board.retained.phase === (p && p.key) ? board.retained.items.map((r) => r.note) : []);
    const groups = p && p.vote_budget > 0 ? board.groupRanking(p.key) : [];
    const vm = [list.map((x) => [x.note.id, x.note.text, x.votes, x.rank]), groups.map((x) => [x.group.id, x.group.title, x.votes, x.notes, x.rank]),
      [...retainedKeys], board.facilitator, revealed];
    update(rankingSection, vm, () => {
      if (!revealed) return null;
      const headingId = uid('titre');
      rankingSection.setAttribute('aria-labelledby', headingId);
      return [
        h('h2', { id: headingId, text: t('board.rankingTitle') }),
        list.length
          ? h('ul', { class: 'ranking-list' }, list.map((x) => h('li', { class: retainedKeys.has(x.note.id) ? 'ranking-retained' : null },
            h('span', { class: 'ranking-rank', text: rankText(x, list) }), ' ',
            h('span', { class: 'ranking-text', text: x.note.text }), ' ',
            h('span', { class: 'ranking-votes', text: tn('board.votesCount', x.votes) }),
            retainedKeys.has(x.note.id) ? [' ', h('span', { class: 'tag tag-ok', text: t('board.retainedTag') })] : null)))
          : h('p', { class: 'hint', text: t('board.rankingEmpty') }),
        ...(groups.length ? [
          h('h3', { id: `${headingId}-groupes`, text: t('board.rankingGroups') }),
          h('ul', { class: 'ranking-groups', 'aria-labelledby': `${headingId}-groupes` }, groups.map((x) => h('li', {},
            h('span', { class: 'ranking-rank', text: rankText(x, groups) }), ' ',
            h('span', { class: 'ranking-text', text: x.group.title }), ' ',
            h('span', { class: 'ranking-votes', text: t('board.groupTotals', { votes: tn('board.groupVotes', x.votes), notes: tn('board.notesCount', x.notes) }) })))),
        ] : []),
        board.facilitator && list.length ? retainForm.form : null,
      ];
    });
  }

  function drawRetained() {
    const p = board.phase;
    const items = board.retained.items;
    const show = Boolean(p && p.kind === 'plan_action');
    retainedSection.hidden = !show;
    const answered = new Map();
    for (const a of board.actions.values()) if (a.item) answered.set(a.item, (answered.get(a.item) || 0) + 1);
    const vm = [show, items, [...answered]];
    update(retainedSection, vm, () => {
      if (!show) return null;
      const headingId = uid('titre');
      retainedSection.setAttribute('aria-labelledby', headingId);
      return [
        h('h2', { id: headingId, text: t('board.retainedTitle') }),
        items.length
          ? h('ul', { class: 'ranking-list' }, items.map((r) => h('li', {},
            h('span', { class: 'ranking-rank', text: tn('board.rank', r.rank) }), ' ',
            h('span', { class: 'ranking-text', text: r.text }), ' ',
            h('span', { class: 'ranking-votes', text: tn('board.votesCount', r.votes) }), ' ',
            h('span', { class: 'hint', text: tn('board.answeredBy', answered.get(r.note) || 0) }))))
          : h('p', { class: 'hint', text: t('board.retainedEmpty') }),
      ];
    });
    // The action form offers the retained items to answer.
    const sig = JSON.stringify(items.map((r) => [r.note, r.text]));
    if (itemSelect.dataset.sig !== sig) {
      const kept = itemSelect.value;
      itemSelect.dataset.sig = sig;
      itemSelect.replaceChildren(h('option', { value: '', text: t('board.actionNoItem') }),
        ...items.map((r) => h('option', { value: String(r.note), text: r.text.length > 80 ? `${r.text.slice(0, 79)}…` : r.text })));
      if (items.some((r) => String(r.note) === kept)) itemSelect.value = kept;
    }
    if (actionItemWanted && items.some((r) => String(r.note) === actionItemWanted)) {
      itemSelect.value = actionItemWanted;
      actionItemWanted = '';
    }
    itemField.hidden = !items.length;
  }

  const itemName = (id) => {
    const r = board.retained.items.find((x) => x.note === id);
    return r ? r.text : '';
  };

  // ------------------------------------------------------------ action items
  // An empty optional field is sent as null, which clears it (the server refuses "").
  const actionFields = ({ what, who, when, item }) => ({
    what, who: who || null, when: when || null, ...(item !== undefined ? { item: item ? Number(item) : null } : {}),
  });
  const actionsHeadingId = uid('titre');
  const actionsTable = h('div');
  const itemSelectId = uid('enjeu');
  const itemSelect = h('select', { id: itemSelectId, name: 'item' });
  const itemField = h('div', { class: 'field', hidden: true }, h('label', { for: itemSelectId, text: t('board.actionItem') }), itemSelect);
  // The action sent and not yet answered: { id (the operation's), values (as sent),
  // settle(error | null) }. What was typed stays in the form (and in its draft) until
  // the server's ack; a refusal leaves it there with the reason.
  let actionSent = null;
  let actionItemWanted = ''; // a draft's retained item, chosen once the list is drawn
  const actionForm = createForm({
    label: t('board.actionAddTitle'),
    className: 'form form-grid',
    children: [
      itemField,
      inputField({ label: t('board.actionWhat'), name: 'what', required: true, attrs: { maxlength: '1000' } }),
      inputField({ label: t('board.actionWho'), name: 'who', attrs: { maxlength: '200' } }),
      inputField({ label: t('board.actionWhen'), name: 'when', type: 'date' }),
      actions(submitButton(t('board.actionAdd'))),
    ],
    // Resolves on the ack, throws the refusal (the form shows it and keeps the values);
    // meanwhile the form is busy: the same action is not sent twice.
    onSubmit: (values) => new Promise((resolve, reject) => {
      const opId = send('action.add', actionFields(values));
      if (!opId) {
        reject(new Error(t('errors.network')));
        return;
      }
      actionSent = {
        id: opId, values,
        settle: (err) => (err ? reject(err) : resolve()),
      };
    }),
  });
  // What is typed in the action form survives a reload, as a note's text does.
  const actionDraft = keepDraft(actionForm.form, `atelier.${id}.action`, {
    get: () => itemSelect.value,
    set: (value) => { if (typeof value === 'string') actionItemWanted = value; },
  });

  /** The action sent was accepted: the form is emptied (unless it was changed since). */
  function actionAccepted(sent) {
    const form = actionForm.form;
    const now = formValues(form, { withDisabled: true });
    if (['what', 'who', 'when', 'item'].every((k) => (now[k] || '') === (sent.values[k] || ''))) {
      form.reset();
      actionItemWanted = '';
      actionDraft.clear();
      if (form.contains(document.activeElement)) form.elements.namedItem('what').focus();
    }
  }

  /** Follows the outbox: the action sent left it without an error, so it was accepted. */
  function followActionSent(ops) {
    if (!actionSent) {
      // After a reload the outbox may still hold the action of the form's draft: its ack
      // empties the form, its refusal leaves the text there.
      const what = (actionForm.form.elements.namedItem('what').value || '').trim();
      const op = what && ops.find((m) => m.op === 'action.add' && m.what === what);
      if (op) actionSent = { id: op.id, values: formValues(actionForm.form, { withDisabled: true }), adopted: true, settle: () => {} };
      return;
    }
    if (ops.some((m) => m.id === actionSent.id)) return;
    const sent = actionSent;
    // A refusal is reported right after the operation leaves the outbox: wait for it.
    queueMicrotask(() => {
      if (actionSent !== sent) return;
      actionSent = null;
      sent.settle(null);
      actionAccepted(sent);
    });
  }

  /** A refusal of the action sent: true when it was that one (shown by its form). */
  function actionRefused(err, op) {
    if (!actionSent || !op || op.id !== actionSent.id) return false;
    const sent = actionSent;
    actionSent = null;
    actionDraft.save();
    const error = Object.assign(new Error(err.message || t('errors.network')), { code: err.code, field: err.field });
    sent.settle(error);
    // No submission in flight (adopted after a reload): the form shows it itself.
    if (sent.adopted) actionForm.showError(error.message);
    return !actionForm.form.hidden && !actionsSection.hidden;
  }
  actionsSection.setAttribute('aria-labelledby', actionsHeadingId);
  actionsSection.append(h('h2', { id: actionsHeadingId, text: t('board.actionsTitle') }), actionsTable, actionForm.form);

  async function editAction(a) {
    await openDialog({
      title: t('board.actionEditTitle'),
      signal,
      body: (close, titleId) => createForm({
        labelledBy: titleId,
        children: [
          board.retained.items.length ? (() => {
            const id = uid('enjeu');
            const select = h('select', { id, name: 'item' }, h('option', { value: '', text: t('board.actionNoItem') }),
              board.retained.items.map((r) => h('option', { value: String(r.note), text: r.text.length > 80 ? `${r.text.slice(0, 79)}…` : r.text })));
            select.value = a.item ? String(a.item) : '';
            return h('div', { class: 'field' }, h('label', { for: id, text: t('board.actionItem') }), select);
          })() : null,
          inputField({ label: t('board.actionWhat'), name: 'what', value: a.what, required: true }),
          inputField({ label: t('board.actionWho'), name: 'who', value: a.who }),
          inputField({ label: t('board.actionWhen'), name: 'when', type: 'date', value: a.when }),
          actions(submitButton(t('common.save')),
            button(t('common.cancel'), () => close(), { cls: 'button button-secondary' })),
        ],
        onSubmit: async (values) => {
          send('action.edit', { action: a.id, ...actionFields(values) });
          close();
        },
      }).form,
    });
  }

  async function deleteAction(a) {
    const ok = await confirmDialog({
      title: t('board.actionDeleteTitle'), text: t('board.actionDeleteText', { what: a.what }),
      confirmLabel: t('common.delete'), danger: true, signal,
    });
    if (ok) send('action.delete', { action: a.id });
  }

  function drawActions() {
    const list = [...board.actions.values()].sort((a, b) => a.id - b.id);
    const show = board.phase?.kind === 'plan_action' || list.length > 0;
    actionsSection.hidden = !show;
    actionForm.form.hidden = !board.canPlan();
    const withItems = board.retained.items.length > 0 || list.some((a) => a.item);
    // « Modifier » / « Supprimer » only where the server would accept them: a participant's
    // own actions, any for facilitators.
    const tools = list.map((a) => board.canChangeAction(a));
    const anyTools = tools.some(Boolean);
    const vm = [list, tools, withItems ? board.retained.items : null];
    update(actionsTable, vm, () => {
      if (!list.length) return h('p', { class: 'hint', text: t('board.actionsEmpty') });
      const captionId = uid('legende');
      // The report's and the CSV's order (Enjeu, Qui, Quoi, Quand); on a phone each
      // action is a card.
      const heads = [withItems ? 'actionItemHead' : null, 'actionWho', 'actionWhat', 'actionWhen', anyTools ? 'actionTools' : null].filter(Boolean);
      return h('div', { class: 'table-wrap board-actions-table', role: 'region', 'aria-labelledby': captionId, tabindex: '0' },
        stackTable(h('table', { class: 'table' },
          h('caption', { id: captionId, text: t('board.actionsCaption') }),
          h('thead', {}, h('tr', {}, heads.map((k) => h('th', { scope: 'col', text: t(`board.${k}`) })))),
          h('tbody', {}, list.map((a, i) => h('tr', {},
            withItems ? h('td', a.item ? { text: itemName(a.item) || t('board.actionItemGone') } : {},
              // No enjeu: a dash, as the report leaves the cell empty; read as words.
              a.item ? null : [h('span', { 'aria-hidden': 'true', text: '—' }), srOnly(t('board.actionNoItem'))]) : null,
            h('td', { text: a.who || t('common.notSet') }),
            h('th', { scope: 'row', text: a.what }),
            h('td', { text: a.when ? formatDay(a.when) : t('common.notSet') }),
            anyTools ? h('td', { class: 'cell-actions' }, tools[i] ? [
              button(t('common.edit'), () => editAction(a), { 'data-focus': `action-${a.id}-edit` }, srOnly(a.what)),
              button(t('common.delete'), () => deleteAction(a),
                { cls: 'button button-danger-quiet button-small', 'data-focus': `action-${a.id}-delete` }),
            ] : null) : null))))));
    }, () => actionsSection.querySelector('h2'));
  }

  // ------------------------------------------------------------ facilitator panel
  const phaseSelectId = uid('phase');
  const phaseSelect = h('select', { id: phaseSelectId });
  // The closed list is narrow in the board's bar: the whole name of the phase chosen is
  // its tooltip (the open list shows every name whole).
  const showChosenPhase = () => {
    phaseSelect.title = phaseSelect.selectedOptions[0]?.textContent || '';
  };
  phaseSelect.addEventListener('change', showChosenPhase);
  const lockButton = button('', () => send('board.lock', { locked: !board.locked }));
  const anonButton = button('', () => send('board.anonymous', { anonymous: !board.anonymous }));
  const zeroButton = button(t('board.lockAtZero'), () => send('timer.lock_at_zero', { on: !board.lockAtZero }));
  const proxyBox = h('div');
  const proxyNoteId = uid('procuration');
  const proxyNote = h('select', { id: proxyNoteId, name: 'note' });
  const proxyForm = createForm({
    label: t('board.proxyTitle'),
    className: 'form proxy-form',
    children: [
      h('div', { class: 'field' }, h('label', { for: proxyNoteId, text: t('board.proxyNote') }), proxyNote),
      inputField({ label: t('board.proxyFor'), name: 'for', required: true, attrs: { maxlength: '80' } }),
      actions(submitButton(t('board.proxySubmit'), 'button button-small')),
    ],
    onSubmit: async (values, form) => {
      if (!values.note) throw new Error(t('board.proxyNoNote'));
      send('vote.proxy', { note: Number(values.note), for: values.for });
      form.elements.namedItem('for').value = '';
    },
  });
  proxyBox.className = 'panel-group';
  proxyBox.append(h('h3', { text: t('board.proxyTitle') }), proxyForm.form);

  const panelHeadingId = uid('titre');
  const panelId = uid('controles');
  const sidePanelId = uid('panneau');
  // The bar's toggles: the facilitator's controls and the side panel (presence, chat).
  const controlsToggle = button(t('board.controlsToggle'), () => {
    panels.controls = !panels.controls;
    savePanels();
    drawPanels();
  }, { cls: 'button button-secondary button-small', 'aria-controls': panelId });
  // Its name says the reactions are there too; the messages and reactions that came while
  // it was closed are counted on it (a badge for the eye, the number in its name).
  const sideBadge = h('span', { class: 'side-toggle-count', 'aria-hidden': 'true', hidden: true });
  const sideToggle = button(t('board.sideToggle'), () => {
    panels.side = !panels.side;
    savePanels();
    drawPanels();
  }, { cls: 'button button-secondary button-small side-toggle', 'aria-controls': sidePanelId });
  sideToggle.append(sideBadge);
  const news = { chat: null, reactions: 0, count: 0 };
  function drawSideToggle() {
    // Its leading space keeps the number a word of the button's text (as its name reads).
    sideBadge.textContent = news.count ? ` ${news.count > 99 ? '99+' : formatNumber(news.count)}` : '';
    sideBadge.hidden = !news.count;
    sideToggle.setAttribute('aria-label', news.count
      ? tn('board.sideToggleNews', news.count, { n: formatNumber(news.count) })
      : t('board.sideToggleName'));
  }
  /** Counts the others' messages and the reactions that came while the side panel is
   * closed; opening it resets the count. */
  function countNews() {
    if (!board.loaded) return;
    const total = Object.values(board.reactions).reduce((sum, n) => sum + (Number(n) || 0), 0);
    if (news.chat === null || panels.side) {
      news.chat = new Set(board.chat.map((m) => m.id));
      news.reactions = total;
      if (news.count) {
        news.count = 0;
        drawSideToggle();
      }
      return;
    }
    let added = 0;
    for (const m of board.chat) {
      if (news.chat.has(m.id)) continue;
      news.chat.add(m.id);
      if (!(m.by && board.me && m.by.key === board.me.key)) added += 1;
    }
    if (total > news.reactions) added += total - news.reactions;
    news.reactions = total;
    if (added) {
      news.count += added;
      drawSideToggle();
    }
  }
  drawSideToggle();
  function drawPanels() {
    countNews();
    controlsToggle.setAttribute('aria-expanded', String(panels.controls));
    sideToggle.setAttribute('aria-expanded', String(panels.side));
    panel.hidden = !panels.controls || boardClosed();
    layoutEl.classList.toggle('side-closed', !panels.side);
    sideEl.hidden = !panels.side;
  }
  /** Escape, in a panel or on its toggle, closes the panel; the focus goes to its toggle. */
  function closeOnEscape(which, toggle, ...places) {
    const onKey = (e) => {
      if (e.key !== 'Escape' || e.defaultPrevented || !panels[which]) return;
      e.preventDefault();
      panels[which] = false;
      savePanels();
      drawPanels();
      toggle.focus();
    };
    for (const el of [toggle, ...places]) el.addEventListener('keydown', onKey);
  }
  /** A closed or archived workshop takes no operation: its controls are not offered. */
  const boardClosed = () => board.state === 'closed' || board.state === 'archived';
  // What a facilitator does all the time sits in the bar (phase, timer, lock, reveal);
  // the rest in the panel the bar's « Contrôles d'animation » opens.
  const revealButton = button(t('board.revealVotes'), () => send('votes.reveal', {}));
  // Pause while the timer does not run would only be refused, and Démarrer while it runs
  // would start it again: each is disabled then (and the focus goes to the other one).
  // At 0:00, Démarrer starts the phase's time again.
  const startButton = button(t('board.timerStart'), () => { if (!startButton.disabled) send('timer.start', {}); });
  const pauseButton = button(t('board.timerPause'), () => { if (board.timer.running) send('timer.pause', {}); });
  const quickControls = h('div', { class: 'board-bar-controls', role: 'group', 'aria-label': t('board.panelTitle') },
    h('div', { class: 'field field-inline' }, h('label', { for: phaseSelectId, text: t('board.phaseSelect') }), phaseSelect),
    button(t('board.gotoPhase'), () => send('phase.goto', { index: Number(phaseSelect.value) }), { cls: 'button button-small' }),
    startButton,
    pauseButton,
    button(t('board.timerAdd'), () => send('timer.add', { seconds: 60 })),
    lockButton,
    revealButton,
    controlsToggle);
  // On a phone the bar stays small (it sticks to the top): the controls go below it.
  const controlsSlot = h('div', { class: 'board-controls-slot' });
  const narrow = window.matchMedia('(max-width: 40rem)');
  function placeControls() {
    if (narrow.matches) controlsSlot.append(quickControls);
    else if (barEl) barEl.append(quickControls);
  }
  narrow.addEventListener('change', placeControls);
  signal.addEventListener('abort', () => narrow.removeEventListener('change', placeControls), { once: true });
  let barEl = null;
  const panel = h('section', { class: 'block panel facilitator-panel', id: panelId, 'aria-labelledby': panelHeadingId },
    h('h2', { id: panelHeadingId, text: t('board.panelMore') }),
    h('div', { class: 'panel-grid' },
    h('div', { class: 'panel-group' },
      h('h3', { text: t('board.panelTimer') }),
      h('div', { class: 'row-actions' },
        button(t('board.timerReset'), () => send('timer.reset', {})), zeroButton)),
    h('div', { class: 'panel-group' },
      h('h3', { text: t('board.panelBoard') }),
      h('div', { class: 'row-actions' },
        anonButton,
        button(t('board.revealPrework'), () => send('prework.reveal', {})))),
    proxyBox));

  let shownClosed = false;
  function drawFacilitator() {
    const closed = boardClosed();
    quickControls.hidden = !board.facilitator || closed;
    if (!board.facilitator) {
      facilitatorEl.replaceChildren();
      return;
    }
    // Closed or archived, every operation is refused: the controls are hidden and disabled.
    if (closed !== shownClosed) {
      shownClosed = closed;
      for (const control of [...quickControls.querySelectorAll('button, select'), ...panel.querySelectorAll('button, select, input')]) {
        if (control !== controlsToggle) control.disabled = closed;
      }
    }
    if (!closed) {
      const active = document.activeElement;
      startButton.disabled = Boolean(board.timer.running) && timerRemaining() > 0;
      pauseButton.disabled = !board.timer.running;
      // The button pressed is now disabled: the focus goes to the other one.
      if (active === startButton && startButton.disabled && !pauseButton.disabled) pauseButton.focus();
      if (active === pauseButton && pauseButton.disabled && !startButton.disabled) startButton.focus();
    }
    const vp = board.phase;
    const hideReveal = !(vp && vp.vote_budget > 0 && !board.revealed.has(vp.key));
    if (hideReveal && !revealButton.hidden && revealButton === document.activeElement) {
      // The button goes once the votes are revealed: focus goes to what it revealed.
      requestAnimationFrame(() => {
        const heading = rankingSection.querySelector('h2');
        if (heading && !rankingSection.hidden) {
          heading.setAttribute('tabindex', '-1');
          heading.focus();
        }
      });
    }
    revealButton.hidden = hideReveal;
    if (!facilitatorEl.contains(panel)) facilitatorEl.replaceChildren(controlsSlot, panel);
    panel.hidden = !panels.controls || closed;
    const phasesSig = JSON.stringify([board.phases.map((p) => p.title), board.current]);
    if (phaseSelect.dataset.sig !== phasesSig) {
      phaseSelect.dataset.sig = phasesSig;
      phaseSelect.replaceChildren(...board.phases.map((p, i) => h('option', {
        value: String(i), text: t('board.phaseOption', { n: i + 1, title: p.title }),
      })));
      phaseSelect.value = String(Math.min(board.current + 1, board.phases.length - 1));
      showChosenPhase();
    }
    lockButton.textContent = t(board.locked ? 'board.unlock' : 'board.lock');
    lockButton.setAttribute('aria-pressed', String(board.locked));
    zeroButton.setAttribute('aria-pressed', String(board.lockAtZero));
    anonButton.textContent = t('board.anonymous');
    anonButton.setAttribute('aria-pressed', String(board.anonymous));
    const p = board.phase;
    // No proxy vote once the votes are revealed (the vote is closed).
    proxyBox.hidden = !board.votingOpen();
    const candidates = p ? (p.columns || []).flatMap((c) => board.notesIn(c.key)) : [];
    const sig = JSON.stringify(candidates.map((n) => [n.id, n.text]));
    if (proxyNote.dataset.sig !== sig) {
      const kept = proxyNote.value;
      proxyNote.dataset.sig = sig;
      proxyNote.replaceChildren(...candidates.map((n) => h('option', {
        value: String(n.id), text: n.text.length > 80 ? `${n.text.slice(0, 79)}…` : n.text,
      })));
      if (candidates.some((n) => String(n.id) === kept)) proxyNote.value = kept;
    }
  }

  // ------------------------------------------------------------ drawing
  let drawQueued = false;
  function drawAll() {
    drawQueued = false;
    if (signal.aborted) return;
    drawStatus();
    if (!board.loaded) return;
    chatForm.form.hidden = !board.writer || !board.open;
    drawPhase();
    drawColumns();
    drawReactions();
    drawChat();
    countNews();
    drawRanking();
    drawRetained();
    drawActions();
    drawFacilitator();
    drawPresence();
    revealAdded();
  }
  /** The note this person just added: said politely and, on a phone (where it may land
   * far below the composer), brought into view. */
  function revealAdded() {
    if (ui.reveal === null) return;
    const noteId = ui.reveal;
    const note = board.notes.get(noteId);
    const el = columnsEl.querySelector(`li[data-note="${noteId}"]`);
    if (!note || !el) {
      if (!note) ui.reveal = null; // gone meanwhile; else not shown in this phase
      return;
    }
    ui.reveal = null;
    const column = (board.phase ? board.phase.columns || [] : []).find((c) => c.key === note.column);
    setText(noteNews, '');
    setText(noteNews, t('board.noteAdded', { title: column ? column.title : '' }));
    if (narrow.matches) el.scrollIntoView({ block: 'nearest' });
  }
  function schedule() {
    if (drawQueued) return;
    drawQueued = true;
    queueMicrotask(drawAll);
  }

  // ------------------------------------------------------------ connection
  /** Asks for a fresh snapshot once the messages in hand are folded (once for many). */
  let snapshotAsked = false;
  function askSnapshot() {
    if (snapshotAsked) return;
    snapshotAsked = true;
    queueMicrotask(() => {
      snapshotAsked = false;
      if (live && !signal.aborted) live.resync();
    });
  }

  /** Access ended (revoked or expired invite, removed from the workshop): the board stays
   * readable as it was, read-only, and says why and how to come back. */
  function endAccess(message) {
    if (live) live.stop();
    ui.status = 'ended';
    ui.ended = t('board.composerEnded');
    // The open editors' texts are offered back by the unsent box (checkEdits).
    board.me = { ...board.me, role: 'observer' };
    drawStatus();
    // The server's reason for closing (« Invitation révoquée »…) says what happened.
    const reason = ui.closeReason.trim().replace(/'/g, '’').replace(/[.!\s]+$/, '');
    setText(endedEl, [reason ? t('board.endedWhy', { reason }) : '', message, t('board.readOnly')].filter(Boolean).join(' '));
    endedEl.hidden = false;
    schedule();
  }

  /** The edit of note `noteId` is back in its editor: focus goes there if it was on that
   * note (its « Modifier » button, gone) or nowhere — not when it is elsewhere by now. */
  function refocusEditor(noteId) {
    const active = document.activeElement;
    const key = active && active.dataset ? active.dataset.focus || '' : '';
    if (!active || active === document.body || key.startsWith(`note-${noteId}-`)) ui.refocus = noteId;
  }

  async function checkAccess() {
    try {
      // A signed-in person whose session ended is sent to sign in by the shell.
      await api.get(apiPath(id), { signal, quiet401: !ctx.user });
      ui.closeReason = ''; // still here: that close was not the end of the access
    } catch (err) {
      if (err.status !== 401 && err.status !== 403 && err.status !== 404) return;
      // A guest without the server's reason: their link was revoked or the workshop archived.
      const guestGone = err.status === 401 && !ctx.user && !ui.closeReason;
      endAccess(err.status === 401 ? t(guestGone ? 'board.guestAccessEnded' : 'board.accessEnded') : err.message);
    }
  }

  live = connectLive({
    workshopId: id,
    signal,
    personKey: ctx.user ? `u:${ctx.user.id}` : (ctx.guest && ctx.guest.key) || null,
    on: {
      welcome: (msg) => {
        if (!ctx.user && msg.guest) ctx.setGuest(msg.guest);
      },
      snapshot: (msg) => {
        board.load(msg);
        schedule();
      },
      event: (ev) => {
        if (ev.op === 'workshop.state' && ev.data) workshop = { ...workshop, state: ev.data.state };
        if (board.apply(ev)) askSnapshot();
        // The note this person just added, now acknowledged: shown and said once drawn.
        const d = ev.data || {};
        if (ev.op === 'note.add' && ui.added && board.me && ev.by && ev.by.key === board.me.key
          && d.column === ui.added.column && d.text === ui.added.text) {
          ui.added = null;
          ui.reveal = ev.seq;
        }
        schedule();
      },
      presence: (msg) => {
        // The whole list on joining, then one person at a time (docs/protocol.md).
        if (Array.isArray(msg.people)) ui.people = msg.people;
        else if (msg.person && msg.person.key) {
          ui.people = ui.people.filter((p) => p.key !== msg.person.key).concat([msg.person]);
        }
        schedule();
      },
      typing: (msg) => {
        ui.typing.set(msg.key, { name: msg.name, until: Date.now() + TYPING_SHOWN_MS });
        drawPresence();
        setTimeout(drawPresence, TYPING_SHOWN_MS + 50);
      },
      status: (status) => {
        ui.status = status;
        drawStatus();
      },
      outbox: (ops) => {
        ui.pending = ops;
        followActionSent(ops);
        schedule();
      },
      error: (err, op, { joining } = {}) => {
        if (joining) {
          endAccess(err.message);
          return;
        }
        // A refused note keeps its text and its fields: back in its composer (or in its
        // editor).
        const edited = op && op.op === 'note.edit' && (typeof op.text === 'string' || (op.fields && typeof op.fields === 'object'));
        const draftOf = (note) => ({
          column: note.column,
          draft: typeof op.text === 'string' ? op.text : note.text,
          fields: op.fields && typeof op.fields === 'object' ? { ...op.fields } : undefined,
          colour: typeof op.colour === 'string' ? op.colour : undefined,
        });
        if (op && op.op === 'note.add' && typeof op.text === 'string') {
          const view = columnViews.get(op.column);
          if (view) {
            const typed = view.area.value.trim();
            if (!typed.includes(op.text)) view.area.value = typed ? `${op.text}\n${view.area.value}` : op.text;
            view.restoreFields(op.fields);
            view.draft.save();
          }
        } else if (edited && err.code !== 'version_perimee' && board.notes.has(Number(op.note))) {
          ui.editing.set(Number(op.note), { ...draftOf(board.notes.get(Number(op.note))), version: Number(op.version) });
          refocusEditor(Number(op.note));
          schedule();
        }
        if (err.code === 'version_perimee' && err.note && op) {
          board.upsertNote(err.note);
          if (edited) {
            ui.editing.set(Number(err.note.id),
              { ...draftOf(board.notes.get(Number(err.note.id))), version: Number(err.note.version), current: err.note.text });
            refocusEditor(Number(err.note.id));
          }
          schedule();
        }
        // A refused action is said by its form, where its text stayed.
        if (op && op.op === 'action.add' && actionRefused(err, op)) return;
        // The server's words for a conflict name the note otherwise: said as the board does.
        showError(err.code === 'version_perimee' ? t('board.conflictError') : err.message || t('errors.network'));
      },
      failing: (reason) => {
        if (typeof reason === 'string' && reason.trim()) ui.closeReason = reason;
        checkAccess();
      },
    },
  });

  // ------------------------------------------------------------ page
  const headingId = uid('titre');
  const sideId = uid('titre');
  const chatId = uid('titre');
  const reactionsId = uid('titre');
  const barId = uid('barre');
  drawStatus();

  timerEl.append(h('span', { class: 'timer-label', text: t('board.timerLabel') }), ' ', timerValue, ' ', timerState, timerAlert);
  // The compact bar stays in view while the board scrolls: phase, timer, votes left,
  // connection, and the toggles of the panels.
  const bar = h('section', { class: 'board-bar', id: barId, 'aria-labelledby': phaseTitle.id },
    h('div', { class: 'board-bar-phase' }, phaseTitle, phaseInfo),
    h('div', { class: 'board-bar-timer' }, timerEl, votesLeftEl, votersEl),
    h('div', { class: 'board-bar-tools' }, statusEl, h('div', { class: 'row-actions' }, sideToggle, soundButton)),
    barReason,
    endedEl,
    errorEl);
  const sideEl = h('aside', { class: 'board-side', id: sidePanelId, 'aria-labelledby': sideId },
    h('h2', { id: sideId, class: 'visually-hidden', text: t('board.sideTitle') }),
    h('section', { class: 'panel side-block' },
      h('h3', { text: t('board.presenceTitle') }), presenceEl, typingEl),
    h('section', { class: 'panel side-block', 'aria-labelledby': reactionsId },
      h('h3', { id: reactionsId, text: t('board.reactionsTitle') }), reactionsEl),
    h('section', { class: 'panel side-block', 'aria-labelledby': chatId },
      h('h3', { id: chatId, text: t('board.chatTitle') }),
      h('div', { class: 'chat-scroll', tabindex: '0', role: 'region', 'aria-label': t('board.chatMessages') }, chatList),
      chatForm.form));
  const columnsRegion = h('div', { class: 'board-columns-scroll', tabindex: '0', role: 'region', 'aria-label': t('board.columnsRegion') }, columnsEl);
  const layoutEl = h('div', { class: 'board-layout' },
    h('div', { class: 'board-main' }, rankingSection, retainedSection, unsentBox, columnTabs, columnsRegion, actionsSection),
    sideEl);
  closeOnEscape('controls', controlsToggle, panel);
  closeOnEscape('side', sideToggle, sideEl);
  drawPanels();
  barEl = bar;
  placeControls();

  return h('section', { class: 'page page-board area-ateliers', 'aria-labelledby': headingId },
    ctx.user ? h('p', { class: 'breadcrumb' },
      h('a', { href: workshopPath(id), text: t('board.back', { title: workshop.title }) })) : null,
    h('h1', { id: headingId, text: workshop.title }),
    bar,
    phaseNews,
    noteNews,
    stateHint,
    reportLink,
    facilitatorEl,
    layoutEl);
}
