// The live-workshop client (docs/protocol.md): one WebSocket to /ws, joined to one
// workshop; reconnects with exponential backoff and resumes with `since`; keeps
// every operation in an outbox (memory and sessionStorage) until the server
// acknowledges it, and sends it again with the same client id after each join, so
// nothing typed is lost across disconnections or reloads. Snapshots and events are
// handed to the page in order, each seq once.

import { randomId } from './ateliers/common.js';

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const PING_EVERY_MS = 20_000;
const SILENCE_MAX_MS = 45_000; // no message for that long: the socket is dead
const JOIN_TIMEOUT_MS = 10_000;
const OUTBOX_MAX = 500;
const FLUSH_BATCH = 40; // the server meters messages (burst 60, 20/s)
const FLUSH_PAUSE_MS = 2_500;

// Errors after which an operation was not applied and must be sent again later.
const RETRY_CODES = new Set(['atelier_indisponible', 'pas_dans_l_atelier', 'trop_de_requetes', 'erreur_interne']);

/** Splits a text frame into its NDJSON messages (one or more, "\n"-separated). */
export function parseFrame(text) {
  const out = [];
  for (const line of String(text).split('\n')) {
    if (!line.trim()) continue;
    try {
      const msg = JSON.parse(line);
      if (msg && typeof msg === 'object' && typeof msg.type === 'string') out.push(msg);
    } catch {
      // A malformed line is skipped; the next snapshot or resync repairs the board.
    }
  }
  return out;
}

function storageKey(workshopId) {
  return `relais.outbox.${workshopId}`;
}

function loadStored(workshopId) {
  try {
    const data = JSON.parse(sessionStorage.getItem(storageKey(workshopId)) || 'null');
    if (data && Array.isArray(data.ops)) return data;
  } catch {
    // Storage unavailable or damaged: start empty.
  }
  return { key: null, ops: [] };
}

/**
 * Connects to a workshop's room.
 *
 * @param {object} options
 * @param {number|string} options.workshopId
 * @param {AbortSignal} options.signal closes everything when aborted
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
 *   failing()                    several connection attempts in a row failed, or the
 *                                server closed the socket by policy (1008): the page
 *                                may check whether access ended
 */
export function connectLive({ workshopId, signal, on = {} }) {
  const workshop = Number(workshopId);
  const call = (name, ...args) => { if (typeof on[name] === 'function') on[name](...args); };

  const stored = loadStored(workshop);
  let ownerKey = stored.key; // the actor key the stored operations belong to
  let outbox = stored.ops.filter((o) => o && typeof o.id === 'string' && o.msg)
    .map((o) => ({ id: o.id, msg: o.msg, sent: false, ackSeq: null }));

  let ws = null;
  let status = null;
  let seq = 0; // last applied
  let haveBoard = false;
  let joined = false;
  let attempts = 0;
  let failures = 0; // connections closed before any message
  let reconnectTimer = null;
  let pingTimer = null;
  let joinTimer = null;
  let flushTimer = null;
  let lastHeard = 0;
  let clockOffset = 0; // server time - local time, ms
  let welcome = null;
  let closed = false;

  function setStatus(next) {
    if (status === next) return;
    status = next;
    call('status', next);
  }

  function persist() {
    try {
      const ops = outbox.filter((o) => o.ackSeq === null).map(({ id, msg }) => ({ id, msg }));
      if (ops.length) sessionStorage.setItem(storageKey(workshop), JSON.stringify({ key: ownerKey, ops }));
      else sessionStorage.removeItem(storageKey(workshop));
    } catch {
      // Storage full or disabled: the memory outbox still holds them.
    }
  }

  function outboxChanged() {
    persist();
    call('outbox', outbox.filter((o) => o.ackSeq === null).map((o) => o.msg));
  }

  function rawSend(msg) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
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
    const before = outbox.length;
    outbox = outbox.filter((o) => o.ackSeq === null || o.ackSeq > seq);
    if (outbox.length !== before) outboxChanged();
  }

  /** Queues an operation; it is sent now when joined, else after the next join. */
  function send(op, fields = {}) {
    const id = `op-${randomId()}`;
    const msg = { ...fields, type: 'op', workshop, id, op };
    if (outbox.length >= OUTBOX_MAX) outbox.shift();
    outbox.push({ id, msg, sent: false, ackSeq: null });
    outboxChanged();
    flush();
    return id;
  }

  // ------------------------------------------------------------ messages
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
        if (ownerKey && key && ownerKey !== key) {
          outbox = []; // operations of someone else who used this tab
        }
        ownerKey = key;
        outboxChanged();
        call('welcome', msg);
        join(true);
        break;
      }
      case 'snapshot':
        if (Number(msg.workshop) !== workshop) break;
        seq = Number(msg.seq) || 0;
        haveBoard = true;
        call('snapshot', msg);
        settleAcks();
        joinedNow();
        break;
      case 'events': {
        if (Number(msg.workshop) !== workshop) break;
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
          outbox = outbox.filter((o) => o.ackSeq === null || o.ackSeq > seq);
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
          outbox = outbox.filter((o) => o !== item);
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
  function detach(socket) {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
  }

  function dropSocket() {
    clearInterval(pingTimer);
    clearTimeout(joinTimer);
    clearTimeout(flushTimer);
    joined = false;
    if (ws) {
      const old = ws;
      ws = null;
      detach(old);
      try {
        old.close(1000);
      } catch {
        // already closing
      }
    }
  }

  function scheduleReconnect(delay) {
    clearTimeout(reconnectTimer);
    if (closed) return;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempts);
    const wait = delay ?? Math.round(backoff / 2 + Math.random() * backoff / 2);
    attempts += 1;
    reconnectTimer = setTimeout(open, wait);
  }

  function lost() {
    dropSocket();
    setStatus('offline');
    scheduleReconnect();
  }

  function restart() {
    dropSocket();
    scheduleReconnect(0);
  }

  function open() {
    clearTimeout(reconnectTimer);
    if (closed || ws) return;
    if (status !== 'offline' && status !== 'resync') setStatus(haveBoard ? 'resync' : 'connecting');
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      lost();
      return;
    }
    ws = socket;
    let heard = false;
    socket.onopen = () => {
      lastHeard = Date.now();
      clearInterval(pingTimer);
      pingTimer = setInterval(() => {
        if (Date.now() - lastHeard > SILENCE_MAX_MS) {
          lost();
          return;
        }
        rawSend({ type: 'ping', id: randomId() });
      }, PING_EVERY_MS);
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      lastHeard = Date.now();
      if (!heard) {
        heard = true;
        attempts = 0;
        failures = 0;
        if (status === 'offline') setStatus('resync');
      }
      for (const msg of parseFrame(event.data)) {
        if (ws !== socket) return; // dropped while handling this frame
        handle(msg);
      }
    };
    socket.onclose = (event) => {
      if (ws !== socket) return;
      if (!heard) {
        failures += 1;
        if (failures === 3) call('failing');
      } else if (event.code === 1008) {
        // Closed by policy: access may have ended (sign-out, role, invite): let the
        // page check now; the reconnection goes on if it still has access.
        call('failing');
      }
      lost();
    };
    socket.onerror = () => {}; // a close event follows
  }

  function onOffline() {
    if (ws) lost();
  }

  function onOnline() {
    attempts = 0;
    if (!ws) open();
  }

  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);
  signal.addEventListener('abort', () => {
    closed = true;
    clearTimeout(reconnectTimer);
    dropSocket();
    window.removeEventListener('offline', onOffline);
    window.removeEventListener('online', onOnline);
  }, { once: true });

  if (navigator.onLine === false) setStatus('offline');
  open();
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
    stop: () => {
      closed = true;
      clearTimeout(reconnectTimer);
      dropSocket();
    },
  };
}
