#!/usr/bin/env node
// A refresh of many sources served on loopback, and what other users feel meanwhile
// (bench/watch/README.md). Usage: node bench/watch/refresh.mjs path/to/relais [SOURCES]
//
// The feed server answers, per source (by its number modulo 20): 12 in 20 fresh (200, a
// new item each time), 5 in 20 "not modified" when asked with the ETag they gave (304),
// 2 in 20 slow (2 s before answering), 1 in 20 failing (500). Relais imports them (OPML,
// two fields), reads them all once, then all are made due and the fetch job runs: the
// measured refresh, twice: alone (wall time, server CPU), then while four clients search
// the library in a loop (their latency compared with the same loop on the idle server just
// before). Prints one JSON line and a Markdown table.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const relais = process.argv[2];
const SOURCES = Number(process.argv[3] || 1000);
if (!relais) {
  console.error('usage: node refresh.mjs path/to/relais [SOURCES]');
  process.exit(2);
}

// ---------------------------------------------------------------- the feed server
let served = 0;
const feeds = http.createServer((req, res) => {
  served += 1;
  const m = /^\/f\/(\d+)\.xml$/.exec(req.url);
  if (!m) { res.writeHead(404); res.end(); return; }
  const i = Number(m[1]);
  const kind = i % 20;
  const etag = `"v-${i}"`;
  const body = (n) => `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Source ${i}</title>`
    + `<link>https://s${i}.exemple.fr/</link>${Array.from({ length: n }, (_, k) => `<item><title>Actualité ${i}-${k}-${served}</title>`
      + `<link>https://s${i}.exemple.fr/a/${k}-${served}</link><description>Texte de l'actualité ${k} de la source ${i}.</description></item>`).join('')}</channel></rss>`;
  if (kind === 19) { res.writeHead(500); res.end('panne'); return; }
  const answer = () => {
    if (kind >= 12 && kind <= 16) {
      if (req.headers['if-none-match'] === etag) { res.writeHead(304, { ETag: etag }); res.end(); return; }
      res.writeHead(200, { 'Content-Type': 'application/rss+xml', ETag: etag });
      res.end(body(10));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/rss+xml' });
    res.end(body(10));
  };
  if (kind === 17 || kind === 18) setTimeout(answer, 2000);
  else answer();
});
await new Promise((r) => feeds.listen(0, '127.0.0.1', r));
const feedBase = `http://127.0.0.1:${feeds.address().port}`;

// ---------------------------------------------------------------- Relais
const dir = mkdtempSync(path.join(os.tmpdir(), 'relais-refresh-'));
const password = 'correct horse battery';
execFileSync(relais, ['user', 'add', '--data-dir', `${dir}/data`, '--email', 'bench@test.fr', '--name', 'Bench', '--role', 'admin'],
  { input: `${password}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
const server = spawn(relais, ['serve', '--data-dir', `${dir}/data`, '--listen', '127.0.0.1:0',
  '--set', 'outbound.allow_loopback=true', '--set', 'limits.requests_per_second_per_address=100000',
  '--set', 'limits.request_burst_per_address=100000', '--set', 'limits.max_connections_per_address=5000'],
{ stdio: ['ignore', 'pipe', 'pipe'] });
const base = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('relais did not start')), 30000);
  const on = (d) => { const m = /listening on (http:\/\/\S+)/.exec(String(d)); if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); } };
  server.stdout.on('data', on);
  server.stderr.on('data', on);
});
const cleanup = () => { try { server.kill('SIGKILL'); } catch { /* gone */ } rmSync(dir, { recursive: true, force: true }); };
process.on('exit', cleanup);

let cookie = '';
async function call(method, p, body, headers = {}) {
  const res = await fetch(`${base}${p}`, {
    method, headers: { Origin: base, Cookie: cookie, ...(body !== undefined && typeof body !== 'string' ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const setCookie = res.headers.get('set-cookie');
  if (setCookie) cookie = setCookie.split(';')[0];
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

const cpuTicks = () => {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
};
const hwmKb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]);
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

await call('POST', '/api/session', { email: 'bench@test.fr', password });
const fields = (await call('GET', '/api/watch/fields')).fields;
for (let part = 0; part * 500 < SOURCES; part += 1) {
  const outlines = [];
  for (let i = part * 500; i < Math.min(SOURCES, (part + 1) * 500); i += 1) {
    outlines.push(`<outline text="Source ${i}" xmlUrl="${feedBase}/f/${i}.xml"/>`);
  }
  await call('POST', `/api/watch/fields/${fields[part % fields.length].id}/opml`,
    `<opml version="2.0"><body>${outlines.join('')}</body></opml>`, { 'Content-Type': 'application/octet-stream' });
}

async function allFetchedSince(t) {
  const sources = (await call('GET', '/api/watch/sources')).sources;
  let done = 0;
  for (const s of sources) {
    // Read since t: a success after t, or a failure whose next attempt was set after t
    // (at least its one-hour backoff away).
    if ((s.last_success_at && Date.parse(s.last_success_at) >= t) || (s.failures > 0 && Date.parse(s.next_fetch_at) > t + 60_000)) done += 1;
  }
  return { done, total: sources.length };
}

// First pass (the import made them due): wait until every source was read once.
console.error("# imported");
const firstStart = Date.now();
await call('POST', '/api/admin/jobs/watch.fetch/run');
for (;;) {
  const { done, total } = await allFetchedSince(firstStart - 1000);
  if (process.env.DEBUG) console.error(`# first pass ${done}/${total}`);
  if (done >= total && total === SOURCES) break;
  if (Date.now() - firstStart > 600_000) throw new Error(`first pass: ${done}/${total} after 10 minutes`);
  await new Promise((r) => setTimeout(r, 500));
}
const firstPass = (Date.now() - firstStart) / 1000;

// Search latency: four clients in a loop.
async function searchLoop(keepGoing) {
  const lat = [];
  const one = async () => {
    while (keepGoing()) {
      const t0 = performance.now();
      await call('GET', `/api/library/search?q=${encodeURIComponent('lettre d’intention diagnostic')}`);
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all([one(), one(), one(), one()]);
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { count: lat.length, p50: q(0.5), p99: q(0.99) };
}
if (process.env.DEBUG) console.error('# idle search');
const idleEnd = Date.now() + 5000;
const idle = await searchLoop(() => Date.now() < idleEnd);

// The measured refresh: every source made due (one call each, timed with the refresh:
// the job starts on the first), until every source has a new status. Run twice: alone for
// its wall time and CPU, then with the search clients for their latency.
async function refresh(withSearch) {
  const sources = (await call('GET', '/api/watch/sources')).sources;
  let during = null;
  let refreshing = true;
  const searching = withSearch ? searchLoop(() => refreshing).then((r) => { during = r; }) : Promise.resolve();
  const cpu0 = cpuTicks();
  const start = Date.now();
  served = 0;
  for (const s of sources) await call('POST', `/api/watch/sources/${s.id}/refresh`);
  let wall = null;
  for (;;) {
    const { done, total } = await allFetchedSince(start - 1000);
    if (process.env.DEBUG) console.error(`# refresh ${done}/${total}`);
    if (done >= total) { wall = (Date.now() - start) / 1000; break; }
    if (Date.now() - start > 600_000) throw new Error(`refresh: ${done}/${total} after 10 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const cpu = (cpuTicks() - cpu0) / TICKS;
  const requests = served;
  refreshing = false;
  await searching;
  return { wall, cpu, requests, during };
}
if (process.env.DEBUG) console.error('# refresh alone');
const alone = await refresh(false);
if (process.env.DEBUG) console.error('# refresh with searches');
const loaded = await refresh(true);
const during = loaded.during;
const wall = alone.wall;
const cpu = alone.cpu;
const requests = alone.requests;
const result = {
  sources: SOURCES, first_pass_s: firstPass, refresh_s: wall, feed_requests: requests,
  server_cpu_s: cpu, server_cpu_pct: Math.round((100 * cpu) / wall), peak_rss_mib: Math.round(hwmKb() / 1024),
  refresh_with_searches_s: loaded.wall, search_idle: idle, search_during: during, p99_ratio: during.p99 / idle.p99,
};
console.log(JSON.stringify(result));
const f1 = (x) => x.toFixed(1);
console.log(`
| Sources | First read s | Refresh s | Feed requests | Server CPU s | Peak RSS MiB | Refresh with searches s | Search p50 idle / during ms | Search p99 idle / during ms | p99 ratio |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| ${SOURCES} | ${f1(firstPass)} | ${f1(wall)} | ${requests} | ${f1(cpu)} | ${result.peak_rss_mib} | ${f1(loaded.wall)} | ${f1(idle.p50)} / ${f1(during.p50)} | ${f1(idle.p99)} / ${f1(during.p99)} | ×${result.p99_ratio.toFixed(2)} |`);
feeds.close();
process.exit(0);
