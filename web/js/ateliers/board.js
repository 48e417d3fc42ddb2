// The board of a live workshop as this participant sees it: loaded from a snapshot
// and folded event by event, mirroring the server's `apply`
// (server/workshops/model.cpp). Ids of notes, groups, actions and chat messages are
// the seq of the event that created them.

const asId = (value) => Number(value);

/** A note's fields (structured columns): key -> non-empty string. */
function fieldsFrom(value) {
  const out = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string' && v !== '') out[k] = v;
  }
  return out;
}

function noteFrom(n) {
  return {
    id: asId(n.id),
    column: String(n.column),
    text: String(n.text ?? ''),
    colour: String(n.colour || 'jaune'),
    version: Number(n.version) || 1,
    phase: String(n.phase ?? ''),
    group: n.group === null || n.group === undefined ? null : asId(n.group),
    hidden: String(n.hidden || ''),
    author: n.author && typeof n.author === 'object' ? { key: n.author.key, name: n.author.name } : null,
    anonymous: Boolean(n.anonymous), // written while the board was anonymous: no author for others
    fields: fieldsFrom(n.fields),
  };
}

export class Board {
  constructor() {
    this.me = { key: null, name: '', role: 'observer' };
    this.reset();
  }

  reset() {
    this.loaded = false;
    this.state = 'draft';
    this.phases = [];
    this.current = 0;
    this.locked = false;
    this.lockAtZero = false;
    this.anonymous = false;
    this.notes = new Map();
    this.groups = new Map();
    this.votes = new Map(); // phase key -> Map(note id -> { mine, total? })
    this.revealed = new Set(); // phase keys whose votes are visible
    this.actions = new Map();
    this.retained = { phase: null, items: [] };
    this.chat = [];
    this.reactions = {};
    this.timer = { running: false, ends_at: 0, remaining_ms: 0, duration_ms: 0 };
    // Facilitators only: who has voted in each vote phase (never on what), as
    // phase key -> Map(voter key -> number of votes), from the snapshot's `voters` and the
    // events (docs/protocol.md).
    this.voters = new Map();
    this.seq = 0; // the last event folded (or the snapshot's seq)
  }

  get facilitator() { return this.me.role === 'facilitator'; }

  get writer() { return this.me.role === 'facilitator' || this.me.role === 'participant'; }

  get phase() { return this.phases[this.current] || null; }

  /** A closed or archived workshop refuses every operation (atelier_ferme). */
  get open() { return this.state !== 'closed' && this.state !== 'archived'; }

  /** Loads a `snapshot` message ({ seq, state, you }). */
  load(msg) {
    const s = msg.state || {};
    this.reset();
    this.seq = Number(msg.seq) || 0;
    if (msg.you) this.me = { key: msg.you.key, name: msg.you.name, role: msg.you.role };
    this.loaded = true;
    this.state = s.state || 'draft';
    this.phases = Array.isArray(s.phases) ? s.phases : [];
    this.current = Number(s.current) || 0;
    this.locked = Boolean(s.locked);
    this.lockAtZero = Boolean(s.lock_at_zero);
    this.anonymous = Boolean(s.anonymous);
    for (const n of s.notes || []) this.notes.set(asId(n.id), noteFrom(n));
    for (const g of s.groups || []) this.groups.set(asId(g.id), { id: asId(g.id), column: g.column, title: g.title });
    for (const [phase, notes] of Object.entries(s.votes || {})) {
      const map = new Map();
      for (const [id, v] of Object.entries(notes || {})) {
        map.set(asId(id), { mine: Number(v.mine) || 0, total: v.total === undefined ? undefined : Number(v.total) });
      }
      this.votes.set(phase, map);
    }
    for (const k of s.revealed_votes || []) this.revealed.add(k);
    // `mine`: added by this person, who may change it (facilitators change any).
    for (const a of s.actions || []) this.actions.set(asId(a.id), { ...a, id: asId(a.id), item: a.item ? asId(a.item) : null, mine: Boolean(a.mine) });
    if (s.retained && Array.isArray(s.retained.items)) this.retained = { phase: s.retained.phase || null, items: s.retained.items.slice() };
    this.chat = Array.isArray(s.chat) ? s.chat.slice() : [];
    this.reactions = { ...(s.reactions || {}) };
    if (s.timer) this.timer = { ...this.timer, ...s.timer };
    if (this.facilitator && s.voters && typeof s.voters === 'object') {
      for (const [phase, counts] of Object.entries(s.voters)) {
        if (!counts || typeof counts !== 'object') continue;
        for (const [key, n] of Object.entries(counts)) this.countVoter(phase, key, Number(n) || 0);
      }
    }
  }

  /** Adds `step` votes (negative: taken back) to `voter` in `phase` (facilitators). */
  countVoter(phase, voter, step) {
    if (!this.voters.has(phase)) this.voters.set(phase, new Map());
    const map = this.voters.get(phase);
    const n = (map.get(voter) || 0) + step;
    if (n > 0) map.set(voter, n);
    else map.delete(voter);
  }

  /** Facilitators: the keys of those who have voted in the vote phase `key`. */
  votersIn(key) {
    return [...(this.voters.get(key) || new Map()).keys()];
  }

  totalsVisible(phaseKey) {
    return this.facilitator || this.revealed.has(phaseKey);
  }

  voteSlot(phaseKey, noteId) {
    if (!this.votes.has(phaseKey)) this.votes.set(phaseKey, new Map());
    const map = this.votes.get(phaseKey);
    if (!map.has(noteId)) map.set(noteId, { mine: 0, total: this.totalsVisible(phaseKey) ? 0 : undefined });
    return map.get(noteId);
  }

  upsertNote(n) {
    const note = noteFrom(n);
    const known = this.notes.get(note.id);
    // A revealed note may come without its author (anonymous board): keep what we knew.
    if (known && !note.author && known.author) note.author = known.author;
    this.notes.set(note.id, note);
  }

  resetTimer(ms) {
    this.timer = { running: false, ends_at: 0, remaining_ms: ms, duration_ms: ms };
  }

  /**
   * Folds one event. Returns true when the page should ask for a fresh snapshot
   * because the event changes what this participant may see in a way the event
   * alone cannot tell (an unknown operation, authors shown again, an unknown note).
   */
  apply(ev) {
    const d = ev.data || {};
    const seq = asId(ev.seq);
    if (seq > this.seq) this.seq = seq;
    switch (ev.op) {
      case 'hidden':
        return false;
      case 'workshop.created':
      case 'phases.set':
        this.phases = Array.isArray(d.phases) ? d.phases : this.phases;
        if (this.current >= this.phases.length) this.current = 0;
        if (d.state) this.state = d.state;
        return false;
      case 'workshop.state':
        this.state = d.state;
        return false;
      case 'note.add':
        this.notes.set(seq, noteFrom({
          id: seq, column: d.column, text: d.text, colour: d.colour, phase: d.phase, hidden: d.hidden,
          version: 1, group: null, author: ev.by, fields: d.fields, anonymous: d.anonymous,
        }));
        return false;
      case 'note.edit':
      case 'note.move':
      case 'note.group': {
        const n = this.notes.get(asId(d.note));
        if (!n) return true;
        if (d.text !== undefined) n.text = d.text;
        if (d.colour !== undefined) n.colour = d.colour;
        // Given, the fields replace the note's ({} clears them); a move keeps them.
        if (d.fields !== undefined) n.fields = fieldsFrom(d.fields);
        if (ev.op === 'note.move') {
          n.column = d.column;
          const g = n.group ? this.groups.get(n.group) : null;
          if (n.group && (!g || g.column !== n.column)) n.group = null;
        }
        if (ev.op === 'note.group') n.group = d.group === null ? null : asId(d.group);
        n.version += 1;
        return false;
      }
      case 'note.delete': {
        const id = asId(d.note);
        this.notes.delete(id);
        // Its votes go too (facilitators are told whose, in `voters`).
        for (const map of this.votes.values()) map.delete(id);
        if (this.facilitator && d.voters && typeof d.voters === 'object') {
          for (const [phase, counts] of Object.entries(d.voters)) {
            if (!counts || typeof counts !== 'object') continue;
            for (const [key, n] of Object.entries(counts)) this.countVoter(phase, key, -(Number(n) || 0));
          }
        }
        return false;
      }
      case 'group.add':
        this.groups.set(seq, { id: seq, column: d.column, title: d.title });
        return false;
      case 'group.rename': {
        const g = this.groups.get(asId(d.group));
        if (g) g.title = d.title;
        return false;
      }
      case 'group.merge': {
        const from = asId(d.group);
        const into = asId(d.into);
        this.groups.delete(from);
        for (const n of this.notes.values()) {
          if (n.group === from) {
            n.group = into;
            n.version += 1;
          }
        }
        return false;
      }
      case 'group.delete': {
        const id = asId(d.group);
        this.groups.delete(id);
        for (const n of this.notes.values()) {
          if (n.group === id) {
            n.group = null;
            n.version += 1;
          }
        }
        return false;
      }
      case 'vote.cast':
      case 'vote.proxy':
      case 'vote.retract': {
        const slot = this.voteSlot(d.phase, asId(d.note));
        const step = ev.op === 'vote.retract' ? -1 : 1;
        if (d.voter && d.voter === this.me.key) slot.mine = Math.max(0, slot.mine + step);
        if (this.totalsVisible(d.phase)) slot.total = Math.max(0, (slot.total || 0) + step);
        if (this.facilitator && d.voter) this.countVoter(d.phase, String(d.voter), step);
        return false;
      }
      case 'votes.reveal': {
        this.revealed.add(d.phase);
        const totals = d.totals || {};
        const map = this.votes.get(d.phase) || new Map();
        this.votes.set(d.phase, map);
        for (const slot of map.values()) slot.total = 0;
        for (const [id, total] of Object.entries(totals)) {
          const slot = this.voteSlot(d.phase, asId(id));
          slot.total = Number(total) || 0;
        }
        return false;
      }
      case 'timer.start':
        this.timer = { running: true, ends_at: d.ends_at, remaining_ms: 0, duration_ms: d.duration_ms };
        return false;
      case 'timer.pause':
        this.timer = { ...this.timer, running: false, ends_at: 0, remaining_ms: d.remaining_ms };
        return false;
      case 'timer.add': {
        const t = { ...this.timer };
        if (t.running) t.ends_at += d.delta_ms;
        else t.remaining_ms = Math.max(0, t.remaining_ms + d.delta_ms);
        t.duration_ms = Math.max(0, t.duration_ms + d.delta_ms);
        this.timer = t;
        return false;
      }
      case 'timer.reset':
        this.resetTimer(d.duration_ms);
        return false;
      case 'phase.goto':
        for (const n of d.revealed || []) this.upsertNote({ ...n, hidden: '' });
        this.current = Number(d.index) || 0;
        this.resetTimer(d.duration_ms);
        return false;
      case 'phase.add': {
        const at = Number(d.at);
        this.phases.splice(at, 0, d.phase);
        if (at <= this.current && this.phases.length > 1) this.current += 1;
        return false;
      }
      case 'phase.update':
        this.phases[Number(d.index)] = d.phase;
        return false;
      case 'phase.remove': {
        const idx = Number(d.index);
        this.phases.splice(idx, 1);
        if (idx < this.current) this.current -= 1;
        return false;
      }
      case 'phase.move': {
        const from = Number(d.from);
        const to = Number(d.to);
        const [p] = this.phases.splice(from, 1);
        this.phases.splice(to, 0, p);
        if (this.current === from) this.current = to;
        else if (from < this.current && to >= this.current) this.current -= 1;
        else if (from > this.current && to <= this.current) this.current += 1;
        return false;
      }
      case 'board.lock':
        this.locked = Boolean(d.locked);
        return false;
      case 'timer.lock_at_zero':
        this.lockAtZero = Boolean(d.on);
        return false;
      case 'board.anonymous':
        this.anonymous = Boolean(d.anonymous);
        // Authors are hidden or shown again for everyone else: ask for the board.
        return !this.facilitator;
      case 'reaction':
        this.reactions[d.emoji] = (this.reactions[d.emoji] || 0) + 1;
        return false;
      case 'chat.send':
        this.chat.push({ id: seq, text: d.text, at: ev.at, by: ev.by || null });
        if (this.chat.length > 200) this.chat.shift();
        return false;
      case 'action.add':
        // Its author sees themself in `by` (even on an anonymous board): theirs to change.
        this.actions.set(seq, {
          id: seq, what: d.what, who: d.who || '', when: d.when || '', item: d.item ? asId(d.item) : null,
          mine: Boolean(ev.by && this.me.key && ev.by.key === this.me.key),
        });
        return false;
      case 'action.edit': {
        const id = asId(d.action);
        const mine = Boolean(this.actions.get(id)?.mine);
        this.actions.set(id, { id, what: d.what, who: d.who || '', when: d.when || '', item: d.item ? asId(d.item) : null, mine });
        return false;
      }
      case 'ranking.retain':
        this.retained = { phase: d.phase || null, items: Array.isArray(d.items) ? d.items.slice() : [] };
        return false;
      case 'action.delete':
        this.actions.delete(asId(d.action));
        return false;
      case 'prework.reveal':
        for (const n of d.revealed || []) this.upsertNote({ ...n, hidden: '' });
        return false;
      default:
        return true; // an operation this page does not know: trust a fresh snapshot
    }
  }

  // ------------------------------------------------------------ views

  /** Notes of a column (of any phase), oldest first. */
  notesIn(column) {
    return [...this.notes.values()].filter((n) => n.column === column).sort((a, b) => a.id - b.id);
  }

  /**
   * The column `key` as the board defines it now (as the server's column_def): the
   * current phase's, else that of the first phase of the plan that has it.
   */
  columnDef(key) {
    const own = (this.phase?.columns || []).find((c) => c.key === key);
    if (own) return own;
    for (const p of this.phases) {
      const c = (p.columns || []).find((x) => x.key === key);
      if (c) return c;
    }
    return null;
  }

  /** The fields a note of column `key` may be given now ([] for a plain column). */
  fieldsOf(key) {
    const c = this.columnDef(key);
    return Array.isArray(c?.fields) ? c.fields : [];
  }

  /**
   * What to show of a note's fields, in order: [{ key, label, value }] for its non-empty
   * ones, labelled as the plan defines them (a note moved elsewhere keeps its fields).
   */
  noteFields(note) {
    const values = note.fields || {};
    const keys = Object.keys(values);
    if (!keys.length) return [];
    const labels = new Map();
    const own = [...this.fieldsOf(note.column)];
    for (const p of this.phases) {
      for (const c of p.columns || []) {
        for (const f of Array.isArray(c.fields) ? c.fields : []) {
          if (!labels.has(f.key)) labels.set(f.key, f.label);
          if (c.key === note.column && !own.some((o) => o.key === f.key)) own.push(f);
        }
      }
    }
    const order = own.map((f) => f.key).filter((k) => k in values);
    for (const k of keys) if (!order.includes(k)) order.push(k);
    const label = (k) => own.find((f) => f.key === k)?.label || labels.get(k) || k;
    return order.map((k) => ({ key: k, label: label(k), value: values[k] }));
  }

  groupsIn(column) {
    return [...this.groups.values()].filter((g) => g.column === column).sort((a, b) => a.id - b.id);
  }

  /** Votes on a note in the current phase: { mine, total } (total undefined when hidden). */
  votesOn(noteId) {
    const p = this.phase;
    const slot = p && this.votes.get(p.key)?.get(noteId);
    return { mine: slot ? slot.mine : 0, total: slot ? slot.total : (p && this.totalsVisible(p.key) ? 0 : undefined) };
  }

  /**
   * The ranking of a revealed vote phase (as the server computes it): notes with votes,
   * most first, then in the order written (ids are seqs); equal totals share a rank.
   */
  ranking(phaseKey) {
    const map = this.votes.get(phaseKey);
    if (!map || !this.revealed.has(phaseKey)) return [];
    const list = [...map.entries()]
      .filter(([id, slot]) => this.notes.has(id) && (slot.total || 0) > 0)
      .map(([id, slot]) => ({ note: this.notes.get(id), votes: slot.total }))
      .sort((a, b) => b.votes - a.votes || a.note.id - b.note.id);
    list.forEach((x, i) => { x.rank = i > 0 && x.votes === list[i - 1].votes ? list[i - 1].rank : i + 1; });
    return list;
  }

  /**
   * The same ranking by group (as the server computes it): each group whose notes received
   * votes, with their total and how many of its notes, most first, then in the order
   * created; equal totals share a rank. Notes outside any group are left out.
   */
  groupRanking(phaseKey) {
    const byGroup = new Map();
    for (const x of this.ranking(phaseKey)) {
      const g = x.note.group ? this.groups.get(x.note.group) : null;
      if (!g) continue;
      const entry = byGroup.get(g.id) || { group: g, votes: 0, notes: 0 };
      entry.votes += x.votes;
      entry.notes += 1;
      byGroup.set(g.id, entry);
    }
    const list = [...byGroup.values()].sort((a, b) => b.votes - a.votes || a.group.id - b.group.id);
    list.forEach((x, i) => { x.rank = i > 0 && x.votes === list[i - 1].votes ? list[i - 1].rank : i + 1; });
    return list;
  }

  /**
   * Whether votes may be cast (or retracted, or given by proxy) now: the current phase
   * is a vote whose votes are not revealed (the reveal closes the vote: hors_phase).
   */
  votingOpen() {
    const p = this.phase;
    return Boolean(p && p.vote_budget > 0 && !this.revealed.has(p.key));
  }

  votesLeft() {
    const p = this.phase;
    if (!p || !(p.vote_budget > 0)) return 0;
    let used = 0;
    for (const slot of (this.votes.get(p.key) || new Map()).values()) used += slot.mine;
    return Math.max(0, p.vote_budget - used);
  }

  /** Whether `note` was written by this person. */
  mine(note) {
    return Boolean(note.author && note.author.key === this.me.key);
  }

  canChange(note) {
    return this.open && (this.facilitator || (this.writer && this.mine(note)));
  }

  /**
   * During a vote not yet revealed, a note with votes keeps its text: only facilitators
   * edit or delete it (others: hors_phase). A participant knows only their own votes
   * before the reveal: for the others' votes, the server's refusal says it.
   */
  frozenByVotes(note) {
    if (this.facilitator || !this.votingOpen()) return false;
    const v = this.votesOn(note.id);
    return v.mine > 0 || (v.total || 0) > 0;
  }

  /** « Modifier » and « Supprimer » on a note (moving it stays `canChange`). */
  canEdit(note) {
    return this.canChange(note) && !this.frozenByVotes(note);
  }

  canGroup() {
    return this.open && (this.facilitator || (this.me.role === 'participant' && Boolean(this.phase?.grouping)));
  }

  canPlan() {
    return this.open && (this.facilitator || (this.me.role === 'participant' && this.phase?.kind === 'plan_action'));
  }

  /** A participant changes only the actions they added; facilitators change any. */
  canChangeAction(action) {
    return this.canPlan() && (this.facilitator || Boolean(action.mine));
  }
}
