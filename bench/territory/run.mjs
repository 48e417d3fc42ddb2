#!/usr/bin/env node
// Territory helper benchmark: the summary of a 60-commune territory (the 60 most populous
// communes of the Nord, with two saved CPTS overlapping it) and searches as you type,
// against build/relais on loopback, one request at a time on a kept-alive connection.
// Prints a Markdown section for bench/RESULTS.md (and appends it with --record).
// Goal (issue 11): the territory helper on a 60-commune territory under 20 ms.
//
// Usage: node bench/territory/run.mjs [--record] [--requests N]   (from the repository root)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, appendFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const relais = path.join(root, 'build', 'relais');
const args = process.argv.slice(2);
const record = args.includes('--record');
const requests = Number(args[args.indexOf('--requests') + 1]) || 500;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(base, method, p, body, cookie) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : JSON.stringify(body);
    const req = http.request(`${base}${p}`, {
      method, agent,
      headers: { Origin: base, ...(data ? { 'Content-Type': 'application/json' } : {}), ...(cookie ? { Cookie: cookie } : {}) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function timed(n, fn) {
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return stats(out);
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'relais-bench-territory-'));
  const server = spawn(relais, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
    '--set', 'limits.requests_per_second_per_address=100000', '--set', 'limits.request_burst_per_address=100000'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  const loadLines = [];
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "listening on" within 20 s')), 20000);
    const onLine = (line) => {
      const r = /"event":"territory_(imported|ready)"/.exec(line);
      if (r) loadLines.push(line);
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/+$/, '')); }
    };
    createInterface({ input: server.stdout }).on('line', onLine);
    createInterface({ input: server.stderr }).on('line', onLine);
  });
  try {
    const password = /Mot de passe : (\S+)/.exec(readFileSync(path.join(dataDir, 'premier-acces.txt'), 'utf8'))[1];
    const login = await call(base, 'POST', '/api/session', { email: 'admin@relais.local', password });
    const cookie = login.headers['set-cookie'][0].split(';')[0];
    let meta;
    const t0 = Date.now();
    for (;;) {
      meta = JSON.parse((await call(base, 'GET', '/api/territory/meta', undefined, cookie)).body);
      if (meta.status !== 'loading') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    void t0;
    const ready = loadLines.map((l) => JSON.parse(l)).find((j) => j.event === 'territory_ready');
    const loadMs = ready ? ready.ms : '?';
    if (meta.status !== 'ready') throw new Error(`communes not loaded: ${meta.status}`);

    // The 60 most populous communes of the Nord (by searching the département's codes).
    const found = JSON.parse((await call(base, 'GET', '/api/territory/communes?q=59&limit=50', undefined, cookie)).body).communes;
    const more = JSON.parse((await call(base, 'GET', '/api/territory/communes?q=595&limit=50', undefined, cookie)).body).communes;
    const codes = [...new Set([...found, ...more].map((c) => c.code))].slice(0, 60);
    if (codes.length !== 60) throw new Error(`expected 60 communes, got ${codes.length}`);
    // Two CPTS whose saved territories overlap this one.
    for (const [i, name] of ['CPTS Bench A', 'CPTS Bench B'].entries()) {
      const org = JSON.parse((await call(base, 'POST', '/api/admin/orgs', { name, type: 'cpts', region: '32', departements: ['59'] }, cookie)).body).org;
      const saved = await call(base, 'PUT', `/api/territory/cpts/${org.id}`, { communes: codes.slice(i * 20, i * 20 + 30) }, cookie);
      if (saved.status !== 200) throw new Error(`save: ${saved.status} ${saved.body}`);
    }
    const summary = await call(base, 'POST', '/api/territory/summary', { communes: codes }, cookie);
    const s = JSON.parse(summary.body);
    if (summary.status !== 200 || s.overlaps.length !== 2) throw new Error(`summary: ${summary.status} ${summary.body.slice(0, 200)}`);

    await timed(50, () => call(base, 'POST', '/api/territory/summary', { communes: codes }, cookie));  // warm-up
    const summaryMs = await timed(requests, () => call(base, 'POST', '/api/territory/summary', { communes: codes }, cookie));
    const csvMs = await timed(Math.min(requests, 200), () => call(base, 'GET', `/api/territory/export?communes=${codes.join(',')}`, undefined, cookie));
    const queries = ['li', 'lil', 'lill', 'lille', 'sa', 'sai', 'saint', 'saint e', 'st etienne', '59', '590', '5900', '59000', 'vill', 'villeneuve d'];
    const searchMs = await timed(requests, (i) => call(base, 'GET', `/api/territory/communes?q=${encodeURIComponent(queries[i % queries.length])}`, undefined, cookie));

    const fmt = (x) => x.toFixed(2);
    const row = (label, st) => `| ${label} | ${fmt(st.p50)} | ${fmt(st.p90)} | ${fmt(st.p99)} | ${fmt(st.max)} |`;
    let commit = '';
    try { commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).toString().trim(); } catch {}
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    const cpu = os.cpus();
    const verdict = summaryMs.p99 < 20 ? 'under' : 'OVER';
    const text = `
## Territory helper — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC

Machine: ${cpu.length} cores, ${cpu[0] ? cpu[0].model.trim() : '?'}, kernel ${os.release()}; load average after the run: ${load}. Relais ${commit}; Node ${process.version}. Data: @etalab/decoupage-administratif ${meta.data_version} (millésime ${meta.data_year}), ${meta.communes} communes; imported into SQLite and indexed in ${loadMs} ms at start (server log, on its own thread).

Client-side latency (request sent to answer read, loopback, one connection kept alive, one request at a time), ms. Summary: 60 communes of the Nord (${s.population} inhabitants, taille ${s.size}), two saved CPTS overlapping it. Search: ${queries.length} queries typed letter by letter, in turn.

| request | p50 | p90 | p99 | max |
|---|---:|---:|---:|---:|
${row(`POST /api/territory/summary, 60 communes (${requests})`, summaryMs)}
${row(`GET /api/territory/export, 60 communes, CSV (${Math.min(requests, 200)})`, csvMs)}
${row(`GET /api/territory/communes?q= (${requests})`, searchMs)}

Goal: a 60-commune territory under 20 ms — p99 ${fmt(summaryMs.p99)} ms: **${verdict}**.
`;
    process.stdout.write(text);
    if (record) appendFileSync(path.join(root, 'bench', 'RESULTS.md'), text);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    agent.destroy();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
