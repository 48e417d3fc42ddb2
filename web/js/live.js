// The live-workshop client (docs/protocol.md), on the page's shared WebSocket
// (socket.js, which reconnects with backoff and pings): joins one workshop and
// resumes with `since` after each reconnection; keeps every operation in an outbox
// (memory and localStorage, per workshop and per person) until the server
// acknowledges it, and sends it again with the same client id after each join, so
// nothing typed is lost across disconnections, reloads, leaving the board or closing
// the tab: what is left unsent goes when the person comes back to the board.
// Snapshots and events are handed to the page in order, each seq once. Leaving the
// page leaves the room; the socket stays open while another feature (the
// notification bell) holds it.

import { randomId } from './ateliers/common.js';
import * as socket from './socket.js';

export { parseFrame } from './socket.js';

const JOIN_TIMEOUT_MS = 10_000;
const OUTBOX_MAX = 500;
const FLUSH_BATCH = 40; // the server meters messages (burst 60, 20/s)
const FLUSH_PAUSE_MS = 2_500;

// Errors after which an operation was not applied and must be sent again later.
const RETRY_CODES = new Set(['atelier_indisponible', 'pas_dans_l_atelier', 'trop_de_requetes', 'erreur_interne']);

// The outbox of one person for one workshop. localStorage, not sessionStorage: it must
// outlive the tab (a phone's browser kills background tabs). Two tabs of the same person
// share it; the server applies an operation id once, so both sending it is harmless.
function storageKey(workshopId, personKey) {
  return `relais.outbox.${workshopId}.${personKey}`;
}

function readStored(workshopId, personKey) {
  if (!personKey) return [];
  try {
    const data = JSON.parse(localStorage.getItem(storageKey(workshopId, personKey)) || 'null');
    if (data && Array.isArray(data.ops)) return data.ops.filter((o) => o && typeof o.id === 'string' && o.msg);
  } catch {
    // Storage unavailable or damaged: start empty.
  }
  return [];
}

/** What an earlier version kept in the tab's sessionStorage: { key, ops }, then forgotten. */
function takeLegacy(workshopId) {
  const key = `relais.outbox.${workshopId}`;
  try {
    const data = JSON.parse(sessionStorage.getItem(key) || 'null');
    sessionStorage.removeItem(key);
    if (data && Array.isArray(data.ops)) return { key: data.key || null, ops: data.ops.filter((o) => o && typeof o.id === 'string' && o.msg) };
  } catch {
    // Nothing to take.
  }
  return { key: null, ops: [] };
}

/**
 * Connects to a workshop's room.
 *
 * @param {object} options
 * @param {number|string} options.workshopId
 * @param {AbortSignal} options.signal closes everything when aborted
 * @param {string} [options.personKey] who is expected ("u:12", "g:3"), when known before
 *   the server's welcome: their stored operations are shown at once
 * @param {object} options.on callbacks, all optional:
 *   welcome(msg)                 after each (re)connection, before joining
 *   snapshot(msg)                a whole board: msg.state, msg.seq, msg.you
 *   event(ev)                    one event in order (seq > the last one); ev.op may be "hidden"
 *   presence(msg), typing(msg)   ephemeral messages
 *   status(status)               "connecting" | "online" | "offline" | "resync"
 *   outbox(ops)                  the operations not yet acknowledged (messages as sent)
 *   error(err, op, { joining })  a refusal: { code, message, note? }; the refused
 *                                operation's message when it was one of ours; joining:
 *                                the join itself was refused (no access, unknown)
 *   failing(reason)              several connection attempts in a row failed, or the
 *                                server closed the socket by policy (1008): the page
 *                                may check whether access ended (reason: the 1008
 *                                close's reason, for display only)
 */
export function connectLive({ workshopId, signal, personKey = null, on = {} }) {
  const workshop = Number(workshopId);
  const call = (name, ...args) => { if (typeof on[name] === 'function') on[name](...args); };

  const entry = (o) => ({ id: o.id, msg: o.msg, sent: false, ackSeq: null });
  let ownerKey = personKey || null; // the person the outbox belongs to
  let outbox = readStored(workshop, ownerKey).map(entry);
  const legacy = takeLegacy(workshop);
  if (!legacy.key || !ownerKey || legacy.key === ownerKey) {
    for (const o of legacy.ops) if (!outbox.some((x) => x.id === o.id)) outbox.push(entry(o));
  }
  // Ids acknowledged, refused or dropped here: never written back to the storage, which
  // another tab of the same person may have filled meanwhile.
  const forgotten = new Set();

  let status = null;
  let seq = 0; // last applied
  let haveBoard = false;
  let joined = false;
  let joinTimer = null;
  let flushTimer = null;
  let clockOffset = 0; // server time - local time, ms
  let welcome = null;
  let closed = false;

  function setStatus(next) {
    if (status === next) return;
    status = next;
    call('status', next);
  }

  function persist() {
    if (!ownerKey) return; // not known yet: written once the welcome says who it is
    try {
      const ops = outbox.filter((o) => o.ackSeq === null).map(({ id, msg }) => ({ id, msg }));
      const inHand = new Set(outbox.map((o) => o.id));
      // What another tab of the same person queued stays.
      for (const o of readStored(workshop, ownerKey)) if (!inHand.has(o.id) && !forgotten.has(o.id)) ops.push(o);
      if (ops.length) localStorage.setItem(storageKey(workshop, ownerKey), JSON.stringify({ ops }));
      else localStorage.removeItem(storageKey(workshop, ownerKey));
    } catch {
      // Storage full or disabled: the memory outbox still holds them.
    }
  }

  /** Keeps the operations for which `keep` is true; the others are forgotten. */
  function keepOnly(keep) {
    const before = outbox.length;
    outbox = outbox.filter((o) => {
      if (keep(o)) return true;
      forgotten.add(o.id);
      return false;
    });
    return outbox.length !== before;
  }

  function outboxChanged() {
    persist();
    call('outbox', outbox.filter((o) => o.ackSeq === null).map((o) => o.msg));
  }

  function rawSend(msg) {
    return !closed && socket.send(msg);
  }

  // ------------------------------------------------------------ outbox
  function flush() {
    clearTimeout(flushTimer);
    flushTimer = null;
    if (!joined) return;
    let sent = 0;
    for (const item of outbox) {
      if (item.sent || item.ackSeq !== null) continue;
      if (sent >= FLUSH_BATCH) {
        flushTimer = setTimeout(flush, FLUSH_PAUSE_MS);
        return;
      }
      if (!rawSend(item.msg)) return;
      item.sent = true;
      sent += 1;
    }
  }

  function settleAcks() {
    if (keepOnly((o) => o.ackSeq === null || o.ackSeq > seq)) outboxChanged();
  }

  /** Queues an operation; it is sent now when joined, else after the next join. */
  function send(op, fields = {}) {
    const id = `op-${randomId()}`;
    const msg = { ...fields, type: 'op', workshop, id, op };
    if (outbox.length >= OUTBOX_MAX) forgotten.add(outbox.shift().id);
    outbox.push({ id, msg, sent: false, ackSeq: null });
    outboxChanged();
    flush();
    return id;
  }

  // ------------------------------------------------------------ messages
  let role = null; // this person's role in the room, from the last snapshot
  function join(withSince) {
    joined = false;
    clearTimeout(joinTimer);
    const msg = { type: 'join', workshop };
    if (withSince && haveBoard) msg.since = seq;
    if (!rawSend(msg)) return;
    // No answer to a join: start again on a fresh socket.
    joinTimer = setTimeout(() => { if (!joined) restart(); }, JOIN_TIMEOUT_MS);
  }

  function joinedNow() {
    joined = true;
    clearTimeout(joinTimer);
    for (const item of outbox) item.sent = false;
    setStatus('online');
    flush();
  }

  function applyEvent(ev) {
    if (!ev || typeof ev.seq !== 'number' || ev.seq <= seq) return true; // already applied
    if (ev.seq !== seq + 1) return false; // a gap: resume from what we have
    seq = ev.seq;
    call('event', ev);
    return true;
  }

  function handle(msg) {
    switch (msg.type) {
      case 'welcome': {
        welcome = msg;
        const serverMs = typeof msg.server_time_ms === 'number' ? msg.server_time_ms : Date.parse(msg.server_time);
        if (Number.isFinite(serverMs)) clockOffset = serverMs - Date.now();
        const key = msg.key || (msg.user ? `u:${msg.user.id}` : msg.guest ? `g:${msg.guest.id}` : null);
        if (key && ownerKey !== key) {
          // Someone else uses this browser now: the operations in hand stay stored for
          // the one they belong to; this person's own come from the storage.
          const queued = ownerKey ? [] : outbox; // queued before anyone was known: theirs
          outbox = readStored(workshop, key).map(entry);
          for (const o of queued) if (!outbox.some((x) => x.id === o.id)) outbox.push(o);
          ownerKey = key;
        }
        outboxChanged();
        call('welcome', msg);
        join(true);
        break;
      }
      case 'snapshot':
        if (Number(msg.workshop) !== workshop) break;
        seq = Number(msg.seq) || 0;
        haveBoard = true;
        role = msg.you && msg.you.role ? String(msg.you.role) : null;
        call('snapshot', msg);
        settleAcks();
        joinedNow();
        break;
      case 'events': {
        if (Number(msg.workshop) !== workshop) break;
        // A new role (made co-facilitator, or no longer): the board was folded for the
        // old one (what is hidden, who voted): start again from a whole snapshot.
        if (msg.role && role && String(msg.role) !== role) {
          join(false);
          break;
        }
        const events = Array.isArray(msg.events) ? msg.events : [];
        if (!events.every(applyEvent)) {
          join(false);
          break;
        }
        settleAcks();
        joinedNow();
        break;
      }
      case 'event':
        if (Number(msg.workshop) !== workshop || !haveBoard) break;
        if (!applyEvent(msg)) {
          setStatus('resync');
          join(true);
          break;
        }
        settleAcks();
        break;
      case 'ack': {
        const item = outbox.find((o) => o.id === msg.id);
        if (item) {
          item.ackSeq = Number(msg.seq) || 0;
          keepOnly((o) => o.ackSeq === null || o.ackSeq > seq);
          outboxChanged();
        }
        break;
      }
      case 'error': {
        const item = msg.id ? outbox.find((o) => o.id === msg.id) : null;
        if (msg.code === 'trop_de_requetes') {
          // Which message was refused is not said: send the unacknowledged ones again later.
          clearTimeout(flushTimer);
          flushTimer = setTimeout(() => {
            for (const o of outbox) o.sent = false;
            flush();
          }, FLUSH_PAUSE_MS);
          break;
        }
        if (item && RETRY_CODES.has(msg.code)) {
          item.sent = false; // not applied: sent again after the next join
          if (msg.code === 'pas_dans_l_atelier') join(true);
          break;
        }
        if (item) {
          keepOnly((o) => o !== item);
          outboxChanged();
        }
        // Without an id while not joined, it is the join that was refused.
        call('error', msg, item ? item.msg : null, { joining: !msg.id && !joined });
        break;
      }
      case 'resync':
        setStatus('resync');
        haveBoard = false;
        seq = 0;
        join(false);
        break;
      case 'presence':
      case 'typing':
        if (Number(msg.workshop) === workshop) call(msg.type, msg);
        break;
      default:
        break; // pong and unknown types
    }
  }

  // ------------------------------------------------------------ connection
  // The socket itself (backoff, ping, online/offline) is socket.js's; what is per
  // connection here is the join and the timers of the outbox.
  function socketDown(reason) {
    clearTimeout(joinTimer);
    clearTimeout(flushTimer);
    joined = false;
    if (reason === 'lost') setStatus('offline');
  }

  function restart() {
    socket.restart();
  }

  const stops = [
    socket.watch({
      connecting: () => {
        if (status !== 'offline' && status !== 'resync') setStatus(haveBoard ? 'resync' : 'connecting');
      },
      heard: () => {
        if (status === 'offline') setStatus('resync');
      },
      down: socketDown,
      failing: (reason) => call('failing', reason),
    }),
    socket.onWelcome(handle),
    ...['snapshot', 'events', 'event', 'ack', 'error', 'resync', 'presence', 'typing']
      .map((type) => socket.on(type, handle)),
  ];

  if (navigator.onLine === false) setStatus('offline');
  else if (socket.active()) setStatus('connecting'); // the shared socket is already open
  let release = socket.hold();

  /** Leaves the room and lets go of the shared socket (which closes if nobody else holds it). */
  function close() {
    if (closed) return;
    // The socket may stay open for someone else: leave the room (or the join in flight).
    socket.send({ type: 'leave', workshop });
    closed = true;
    socketDown('closed');
    for (const stop of stops) stop();
    release();
    release = () => {};
  }

  signal.addEventListener('abort', close, { once: true });
  // The stored operations are shown at once, before the first join.
  queueMicrotask(() => { if (outbox.length) outboxChanged(); });

  return {
    send,
    /** Sends an ephemeral "is typing" signal (dropped when offline). */
    typing: () => { if (joined) rawSend({ type: 'typing', workshop }); },
    /** Asks for a whole fresh board (join without since). */
    resync: () => {
      if (!joined) return;
      setStatus('resync');
      join(false);
    },
    /** Server time now, in unix ms. */
    now: () => Date.now() + clockOffset,
    get welcome() { return welcome; },
    get status() { return status; },
    get seq() { return seq; },
    /** Stops for good (access ended). */
    stop: close,
  };
}
