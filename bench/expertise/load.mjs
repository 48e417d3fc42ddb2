#!/usr/bin/env node
// Loads the expertise-map benchmark's data into a real Relais over HTTP, as people would:
// an administrator creates the organisations, one animateur per organisation, the people
// (someone else: "self": false) and their entries; each organisation's animateur validates
// some of its people's entries; needs are declared, some assigned and in progress. Then it
// waits until the directory index holds everyone and writes, into --out:
//
//   data.jsonl       the same data for the FTS5 peer (relais_expertisebench index), with the
//                    server's ids: one record per line, "kind" = viewer | region | domain |
//                    role | org | person | need
//   backdate.sql     confirmation dates spread over the last 30 months (the API stamps
//                    "now"; applied with sqlite3 to the stopped server's database)
//   cookie           the session cookie of the account the queries are measured as (a member)
//   directory.txt    the directory targets (GET /api/expertise/people?...)
//   proposals.txt    the matching targets (GET /api/expertise/needs/{id}/proposals)
//
// and prints one JSON line with the counts and the load rates. The server is stopped at the end.
//
// Usage: node bench/expertise/load.mjs --relais build/relais --data-dir DIR --out DIR
//          [--seed S] [--people 10000] [--entries 50000] [--orgs 150] [--needs 200] [--connections 4]
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import http from 'node:http';
import path from 'node:path';
import { generate, directoryTargets } from './generate.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const relais = opt('relais');
const dataDir = opt('data-dir');
const outDir = opt('out');
if (!relais || !dataDir || !outDir) {
  console.error('usage: load.mjs --relais BIN --data-dir DIR --out DIR [--seed S] [--people N] [--entries N] [--orgs N] [--needs N] [--connections C]');
  process.exit(2);
}
const seed = opt('seed', 'relais-expertise-1');
const sizes = { people: Number(opt('people', 10000)), entries: Number(opt('entries', 50000)), orgs: Number(opt('orgs', 150)), needs: Number(opt('needs', 200)) };
const connections = Number(opt('connections', 4));
const STALE_AFTER_S = 12 * 30 * 86400;  // expertise.stale_after_months = 12 (default), months of 30 days
const log = (...m) => console.error('[load]', ...m);

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let base = '';

function call(method, p, body, cookie) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : JSON.stringify(body);
    const req = http.request(`${base}${p}`, {
      method, agent,
      headers: { Origin: base, ...(data ? { 'Content-Type': 'application/json' } : {}), ...(cookie ? { Cookie: cookie } : {}) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode >= 300) {
          reject(new Error(`${method} ${p}: ${res.statusCode} ${text.slice(0, 300)}`));
          return;
        }
        resolve({ headers: res.headers, json: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/// Runs fn over items with `n` in flight.
async function pool(items, n, fn, label) {
  let next = 0, done = 0;
  const t0 = Date.now();
  const every = Math.max(1, Math.floor(items.length / 10));
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
      done += 1;
      if (label && done % every === 0) log(`${label}: ${done}/${items.length} (${Math.round(done / ((Date.now() - t0) / 1000))}/s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return (Date.now() - t0) / 1000;
}

async function login(email, password) {
  const r = await call('POST', '/api/session', { email, password });
  return r.headers['set-cookie'][0].split(';')[0];
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const server = spawn(relais, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
    '--set', 'limits.requests_per_second_per_address=100000', '--set', 'limits.request_burst_per_address=100000'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => server.once('exit', r));
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "listening on" within 30 s')), 30000);
    const onLine = (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/+$/, '')); }
    };
    createInterface({ input: server.stdout }).on('line', onLine);
    createInterface({ input: server.stderr }).on('line', onLine);
    server.once('exit', (code) => reject(new Error(`relais exited (${code}) before listening`)));
  });
  const timings = {};
  try {
    const password = /Mot de passe : (\S+)/.exec(readFileSync(path.join(dataDir, 'premier-acces.txt'), 'utf8'))[1];
    const admin = await login('admin@relais.local', password);
    const meta = (await call('GET', '/api/meta')).json;
    const vocab = (await call('GET', '/api/expertise/domains', undefined, admin)).json;
    const existing = (await call('GET', '/api/orgs', undefined, admin)).json.orgs;
    const data = generate({ seed, ...sizes, meta, vocab, existing });
    const t0 = Math.floor(Date.now() / 1000);  // confirmation dates count back from here

    // Organisations.
    const orgId = new Map();
    const orgRecord = new Map();
    timings.orgs_s = await pool(data.orgs, connections, async (o) => {
      const rec = o.id ? existing.find((x) => x.id === o.id)
        : (await call('POST', '/api/admin/orgs', { name: o.name, type: o.type, region: o.region, departements: o.departements }, admin)).json.org;
      orgId.set(o.key, rec.id);
      orgRecord.set(o.key, rec);
    });
    log(`${data.orgs.length} organisations`);

    // One animateur per organisation (validations), and the member the queries run as:
    // someone of the ARS of Hauts-de-France (a région with many people).
    const userPassword = 'banc-essai-expertise-2026';
    const animateur = new Map();
    timings.accounts_s = await pool(data.orgs, 2, async (o, i) => {
      const email = `animation.${i}@relais.test`;
      await call('POST', '/api/admin/users', { email, name: `Animation ${o.name}`, role: 'animateur', org_id: orgId.get(o.key), password: userPassword }, admin);
      animateur.set(o.key, await login(email, userPassword));
    }, 'accounts');
    const viewerOrg = data.orgs.find((o) => o.type === 'ars' && o.region === '32') ?? data.orgs[0];
    const viewerUser = (await call('POST', '/api/admin/users', { email: 'membre@relais.test', name: 'Membre du réseau', role: 'membre', org_id: orgId.get(viewerOrg.key), password: userPassword }, admin)).json.user;
    const viewerCookie = await login('membre@relais.test', userPassword);

    // People and their entries, as the administrator entering someone else.
    const personId = new Map();
    const personRecord = new Map();
    let entryCount = 0;
    timings.people_s = await pool(data.people, connections, async (p) => {
      const body = { self: false, name: p.name, role: p.role, consent: p.consent, audience: p.audience, region: p.region, departements: p.departements };
      if (p.org) body.org_id = orgId.get(p.org);
      if (p.email) body.email = p.email;
      if (p.phone) body.phone = p.phone;
      const created = (await call('POST', '/api/expertise/people', body, admin)).json.person;
      personId.set(p.key, created.id);
      personRecord.set(p.key, created);
      for (const e of p.entries) {
        await call('PUT', `/api/expertise/people/${created.id}/entries/${e.domain}`, { level: e.level, scope: e.scope, note: e.note }, admin);
        entryCount += 1;
      }
    }, 'people');
    log(`${data.people.length} people, ${entryCount} entries`);

    // Validations, by each person's organisation's animateur.
    const validations = [];
    for (const p of data.people) for (const e of p.entries) if (e.validated) validations.push([p, e]);
    timings.validations_s = await pool(validations, connections, async ([p, e]) => {
      await call('POST', `/api/expertise/people/${personId.get(p.key)}/entries/${e.domain}/validation`, { valid: true }, animateur.get(p.org));
    }, 'validations');

    // Needs; some assigned to one of their first proposals, some of those in progress.
    const needRecord = new Map();
    timings.needs_s = await pool(data.needs, connections, async (n, i) => {
      const body = { title: n.title, description: n.description, domains: n.domains, departements: n.departements, urgency: n.urgency };
      if (n.cpts_org) body.cpts_org_id = orgId.get(n.cpts_org);
      else body.cpts_name = n.cpts_name;
      if (n.phase) body.phase = n.phase;
      let need = (await call('POST', '/api/expertise/needs', body, admin)).json.need;
      if (n.assign) {
        const proposals = (await call('GET', `/api/expertise/needs/${need.id}/proposals`, undefined, admin)).json.proposals;
        if (proposals.length) {
          const who = proposals[Math.min(i % 4, proposals.length - 1)].person.id;
          need = (await call('POST', `/api/expertise/needs/${need.id}/assign`, { person_id: who, version: need.version }, admin)).json.need;
          if (n.progress) need = (await call('POST', `/api/expertise/needs/${need.id}/state`, { state: 'in_progress', version: need.version }, admin)).json.need;
        }
      }
      needRecord.set(n.key, need);
    });
    log(`${data.needs.length} needs`);

    // The directory index: everyone who agreed to appear, and nothing left in the outbox.
    const consenting = data.people.filter((p) => p.consent).length;
    const tIndex = Date.now();
    for (;;) {
      const total = (await call('GET', '/api/expertise/people?limit=1', undefined, admin)).json.total;
      const outbox = Number(execFileSync('sqlite3', [path.join(dataDir, 'relais.db'), 'SELECT count(*) FROM search_outbox']).toString().trim());
      if (total === consenting && outbox === 0) break;
      if (Date.now() - tIndex > 600000) throw new Error(`index not ready after 10 min: ${total}/${consenting}, outbox ${outbox}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    timings.index_wait_s = (Date.now() - tIndex) / 1000;
    // What the member sees (the audience filter): run.sh waits for it after a restart.
    const viewerTotal = (await call('GET', '/api/expertise/people?limit=1', undefined, viewerCookie)).json.total;

    // ---- Outputs.
    const lines = [];
    const viewerRegion = orgRecord.get(viewerOrg.key).region ?? '';
    lines.push({ kind: 'viewer', user_id: viewerUser.id, role: 'membre', org_id: orgId.get(viewerOrg.key), region: viewerRegion, token: viewerCookie.split('=')[1] });
    for (const reg of meta.regions) lines.push({ kind: 'region', code: reg.code, name: reg.label, departements: reg.departements.map((d) => ({ code: d.code, name: d.label })) });
    vocab.domains.forEach((d, i) => lines.push({ kind: 'domain', code: d.code, label: d.label, position: i + 1, archived: d.archived }));
    vocab.roles.forEach((x, i) => lines.push({ kind: 'role', code: x.code, label: x.label, position: i + 1 }));
    for (const o of data.orgs) {
      const rec = orgRecord.get(o.key);
      lines.push({ kind: 'org', id: rec.id, name: rec.name, type: rec.type, region: rec.region ?? '', departements: rec.departements });
    }
    const backdate = ['BEGIN;'];
    for (const p of data.people) {
      const rec = personRecord.get(p.key);
      const entries = p.entries.map((e) => {
        const confirmed = t0 - e.days_ago * 86400;
        backdate.push(`UPDATE expertise_entries SET declared_at = ${confirmed}, confirmed_at = ${confirmed} WHERE person_id = ${rec.id} AND domain_id = (SELECT id FROM expertise_domains WHERE code = '${e.domain}');`);
        return { domain: e.domain, level: e.level, scope: e.scope, note: e.note, confirmed_at: confirmed, validated: e.validated };
      });
      lines.push({
        kind: 'person', id: rec.id, name: rec.name, org_id: rec.org ? rec.org.id : null, role: rec.role.code,
        region: rec.territory.region ? rec.territory.region.code : '', departements: rec.territory.departements.map((d) => d.code),
        consent: rec.consent, audience: rec.audience, email: rec.contact.email, phone: rec.contact.phone, entries,
      });
    }
    backdate.push('COMMIT;');
    for (const n of data.needs) {
      const rec = needRecord.get(n.key);
      lines.push({
        kind: 'need', id: rec.id, title: rec.title, cpts_name: rec.cpts.name,
        region: rec.territory.region ? rec.territory.region.code : '', departements: rec.territory.departements.map((d) => d.code),
        domains: rec.domains.map((d) => d.code), state: rec.state, assignee_id: rec.assignee ? rec.assignee.id : null,
      });
    }
    writeFileSync(path.join(outDir, 'data.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    writeFileSync(path.join(outDir, 'backdate.sql'), `${backdate.join('\n')}\n`);
    writeFileSync(path.join(outDir, 'cookie'), `${viewerCookie}\n`);
    writeFileSync(path.join(outDir, 'directory.txt'), `${directoryTargets().join('\n')}\n`);
    writeFileSync(path.join(outDir, 'proposals.txt'), `${[...needRecord.values()].map((n) => `/api/expertise/needs/${n.id}/proposals`).join('\n')}\n`);
    const writes = data.orgs.length * 2 + data.people.length + entryCount + validations.length + data.needs.length;
    const loadSeconds = timings.people_s + timings.validations_s + timings.needs_s;
    process.stdout.write(`${JSON.stringify({
      seed, orgs: data.orgs.length, people: data.people.length, consenting, entries: entryCount, validated: validations.length,
      stale: data.people.reduce((a, p) => a + p.entries.filter((e) => e.days_ago * 86400 > STALE_AFTER_S).length, 0),
      needs: data.needs.length, assigned: [...needRecord.values()].filter((n) => n.assignee).length,
      viewer: { org: viewerOrg.name, region: viewerRegion, sees: viewerTotal },
      writes, writes_per_s: Math.round((data.people.length + entryCount + validations.length) / loadSeconds), ...timings,
    })}\n`);
  } finally {
    agent.destroy();
    server.kill('SIGTERM');
    await exited;
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
