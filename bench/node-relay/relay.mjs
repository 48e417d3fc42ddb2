// Reference relay for the Relais benchmark: the least a live room server must do.
// Rooms, join, and each note broadcast to everyone in the room (the sender included).
// No authentication, no persistence, no ordering guarantee beyond the socket's.
//
// Protocol (one JSON message per text frame):
//   client -> {"type":"join","room":R}            server -> {"type":"joined","room":R,"size":N}
//   client -> {"type":"note","room":R,"text":T}   server -> {"type":"note","room":R,"text":T} to the room
//   anything else                                 server -> {"type":"error","code":"..."}
//
// Usage: node relay.mjs PORT [LOG]   (0 = any free port; prints "listening on <port>")
//
// With LOG, the relay is durable the way Relais is: each note is appended to LOG, and
// broadcast only once it is on disk (one write + fdatasync per group: the notes that came
// while the previous group was being synced, no added wait). The disk work runs on
// libuv's thread pool, as Relais's runs on its writer thread. bench/run.sh: RELAY_LOG=1.
import { WebSocketServer } from 'ws';
import fs from 'node:fs';

const port = Number(process.argv[2] ?? 0);
const logPath = process.argv[3];
const rooms = new Map();  // room -> Set<WebSocket>

// ---- durable mode: group commit ----
const log = logPath ? fs.openSync(logPath, 'a') : null;
let waiting = [];   // [{line, out, room}] not yet written
let syncing = false;

function broadcast(room, out) {
  const members = rooms.get(room);
  if (members) for (const member of members) member.send(out);
}

function flush() {
  if (syncing || waiting.length === 0) return;
  syncing = true;
  const group = waiting;
  waiting = [];
  const data = Buffer.from(group.map((g) => g.line).join(''));
  fs.write(log, data, (err) => {
    if (err) throw err;
    fs.fdatasync(log, (err2) => {
      if (err2) throw err2;
      for (const g of group) broadcast(g.room, g.out);
      syncing = false;
      flush();
    });
  });
}

const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 64 * 1024 });

function leave(ws) {
  if (ws.room === undefined) return;
  const members = rooms.get(ws.room);
  members?.delete(ws);
  if (members?.size === 0) rooms.delete(ws.room);
  ws.room = undefined;
}

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    let msg;
    try {
      msg = JSON.parse(isBinary ? Buffer.from(data).toString('utf8') : data.toString());
    } catch {
      ws.send('{"type":"error","code":"json_invalide"}');
      return;
    }
    if (msg?.type === 'join' && (typeof msg.room === 'string' || typeof msg.room === 'number')) {
      leave(ws);
      ws.room = String(msg.room);
      if (!rooms.has(ws.room)) rooms.set(ws.room, new Set());
      const members = rooms.get(ws.room);
      members.add(ws);
      ws.send(JSON.stringify({ type: 'joined', room: ws.room, size: members.size }));
    } else if (msg?.type === 'note' && typeof msg.text === 'string') {
      if (ws.room === undefined || String(msg.room) !== ws.room) {
        ws.send('{"type":"error","code":"pas_dans_la_salle"}');
        return;
      }
      // One serialisation per note, the same string to every member.
      const out = JSON.stringify({ type: 'note', room: ws.room, text: msg.text });
      if (log === null) {
        broadcast(ws.room, out);
      } else {
        waiting.push({ line: out + '\n', out, room: ws.room });
        flush();
      }
    } else {
      ws.send('{"type":"error","code":"type_inconnu"}');
    }
  });
  ws.on('close', () => leave(ws));
  ws.on('error', () => leave(ws));
});

wss.on('listening', () => console.log(`listening on ${wss.address().port}`));

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close(() => process.exit(0));
  });
}
