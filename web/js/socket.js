// The page's one WebSocket to /ws (docs/api.md, "WebSocket"), shared by every feature
// that listens live: the workshop board (live.js) and the notification bell (bell.js).
//
// A feature holds the socket while it needs it (`hold()`, released by the function it
// returns); the socket opens with the first holder and closes with the last. While
// held it reconnects after a loss with exponential backoff and jitter, pings the server
// and treats a long silence as a loss, follows the browser's online/offline events,
// and hands every message to the handlers registered for its "type" (`on`).
//
// Lifecycle hooks (`watch`), for features that keep state per connection:
//   connecting()        a new socket is being opened
//   heard()             the first message arrived on the new socket (it works)
//   down(reason)        the socket is gone: "lost" (a reconnection is scheduled),
//                       "restart" (reopened at once) or "closed" (no holder left)
//   failing(reason)     three connections in a row closed before any message, or the
//                       server closed by policy (1008): access may have ended; `reason`:
//                       the close's reason after a 1008 (a French sentence, for display
//                       only), else undefined
// The server greets each connection with a "welcome" message; the last one is kept,
// and `onWelcome(fn)` also calls fn at once (asynchronously) when the current socket
// was already greeted, so a feature that arrives late still gets its resume point.

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const PING_EVERY_MS = 20_000;
const SILENCE_MAX_MS = 45_000; // no message for that long: the socket is dead
// The server refused this socket because the person has too many open: not worth
// retrying quickly.
const TOO_MANY_SOCKETS = 'trop_de_connexions';

/** Splits a text frame into its NDJSON messages (one or more, "\n"-separated). */
export function parseFrame(text) {
  const out = [];
  for (const line of String(text).split('\n')) {
    if (!line.trim()) continue;
    try {
      const msg = JSON.parse(line);
      if (msg && typeof msg === 'object' && typeof msg.type === 'string') out.push(msg);
    } catch {
      // A malformed line is skipped; the next snapshot or resync repairs what it carried.
    }
  }
  return out;
}

function randomPingId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const handlers = new Map(); // type -> Set of functions
const watchers = new Set(); // lifecycle hooks, see above
let holders = 0;
let ws = null;
let welcome = null; // the current socket's welcome, null until greeted
let attempts = 0;
let failures = 0; // connections closed before any message
let refused = false; // the current socket was refused for too many sockets
let reconnectTimer = null;
let pingTimer = null;
let lastHeard = 0;
let listening = false; // window online/offline listeners installed

function notify(hook, ...args) {
  for (const w of [...watchers]) {
    if (typeof w[hook] === 'function') w[hook](...args);
  }
}

function dispatch(msg) {
  const set = handlers.get(msg.type);
  if (!set) return;
  for (const fn of [...set]) fn(msg);
}

function detach(socket) {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}

function dropSocket(reason) {
  clearInterval(pingTimer);
  welcome = null;
  if (!ws) return;
  const old = ws;
  ws = null;
  detach(old);
  try {
    old.close(1000);
  } catch {
    // already closing
  }
  notify('down', reason);
}

function scheduleReconnect(delay) {
  clearTimeout(reconnectTimer);
  if (!holders) return;
  const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempts);
  const wait = delay ?? Math.round(backoff / 2 + Math.random() * backoff / 2);
  attempts += 1;
  reconnectTimer = setTimeout(open, wait);
}

function lost() {
  dropSocket('lost');
  scheduleReconnect();
}

function open() {
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  if (!holders || ws) return;
  notify('connecting');
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
  let socket;
  try {
    socket = new WebSocket(url);
  } catch {
    notify('down', 'lost');
    scheduleReconnect();
    return;
  }
  ws = socket;
  refused = false;
  let heard = false;
  socket.onopen = () => {
    lastHeard = Date.now();
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (Date.now() - lastHeard > SILENCE_MAX_MS) {
        lost();
        return;
      }
      send({ type: 'ping', id: randomPingId() });
    }, PING_EVERY_MS);
  };
  socket.onmessage = (event) => {
    if (typeof event.data !== 'string') return;
    lastHeard = Date.now();
    const messages = parseFrame(event.data);
    if (!heard) {
      heard = true;
      refused = messages.some((m) => m.type === 'error' && m.code === TOO_MANY_SOCKETS);
      if (!refused) {
        attempts = 0;
        failures = 0;
      }
      notify('heard');
    }
    for (const msg of messages) {
      if (ws !== socket) return; // dropped while handling this frame
      if (msg.type === 'welcome') welcome = msg;
      dispatch(msg);
    }
  };
  socket.onclose = (event) => {
    if (ws !== socket) return;
    if (!heard) {
      failures += 1;
      if (failures === 3) notify('failing');
    } else if (event.code === 1008 && !refused) {
      // Closed by policy: access may have ended (sign-out, role, invite): let the
      // features check now; the reconnection goes on while someone holds the socket.
      notify('failing', event.reason || undefined);
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

function listen(on) {
  if (on === listening) return;
  listening = on;
  const method = on ? 'addEventListener' : 'removeEventListener';
  window[method]('offline', onOffline);
  window[method]('online', onOnline);
}

/**
 * Holds the socket open (opening it now if it is not). Returns the function that
 * releases this hold; the last release closes the socket.
 */
export function hold() {
  holders += 1;
  listen(true);
  if (!ws) open(); // a new holder does not wait for a pending backoff
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders -= 1;
    if (holders > 0) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    attempts = 0;
    failures = 0;
    listen(false);
    dropSocket('closed');
  };
}

/** Calls fn(msg) for every message of that type; returns the function that stops it. */
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(fn);
  return () => handlers.get(type)?.delete(fn);
}

/**
 * Calls fn(welcome) after each (re)connection, and soon when the current socket was
 * already greeted. Returns the function that stops it.
 */
export function onWelcome(fn) {
  const off = on('welcome', fn);
  if (welcome) {
    const greeted = welcome;
    queueMicrotask(() => {
      if (welcome === greeted && handlers.get('welcome')?.has(fn)) fn(greeted);
    });
  }
  return off;
}

/** Registers lifecycle hooks (see the top of this file); returns the function that stops it. */
export function watch(hooks) {
  watchers.add(hooks);
  return () => watchers.delete(hooks);
}

/** Sends one message now; false when the socket is not open. */
export function send(msg) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(msg));
  return true;
}

/** Drops the current socket and connects again at once (an answer never came). */
export function restart() {
  if (!holders) return;
  dropSocket('restart');
  scheduleReconnect(0);
}

/** Whether a socket is open or being opened. */
export function active() {
  return Boolean(ws);
}
