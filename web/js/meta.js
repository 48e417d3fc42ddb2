// Reference data from GET /api/meta (role labels, organisation types, regions and
// their départements), fetched once per session and normalised.

import { api } from './api.js';
import { compare } from './i18n.js';

let cached = null;

/** Forgets the cached data (at sign-out). */
export function resetMeta() {
  cached = null;
}

// A département may come as a code ("59") or as an object ({ code, name }).
function normaliseDepartement(d) {
  if (d && typeof d === 'object') return { code: String(d.code), name: d.name ? String(d.name) : '' };
  return { code: String(d), name: '' };
}

function normalise(data) {
  const roles = Array.isArray(data?.roles) ? data.roles : [];
  const orgTypes = Array.isArray(data?.org_types) ? data.org_types : [];
  const regions = (Array.isArray(data?.regions) ? data.regions : []).map((r) => ({
    code: String(r.code),
    name: String(r.name ?? r.code),
    departements: (Array.isArray(r.departements) ? r.departements : []).map(normaliseDepartement),
  }));
  regions.sort((a, b) => compare(a.name, b.name));
  const byCode = (list) => new Map(list.map((x) => [String(x.code), x]));
  const roleMap = byCode(roles);
  const typeMap = byCode(orgTypes);
  const regionMap = byCode(regions);
  return {
    roles,
    orgTypes,
    regions,
    roleLabel: (code) => roleMap.get(String(code))?.label ?? String(code ?? ''),
    orgTypeLabel: (code) => typeMap.get(String(code))?.label ?? String(code ?? ''),
    region: (code) => (code === null || code === undefined ? null : regionMap.get(String(code)) ?? null),
  };
}

/** Resolves the normalised reference data; a failed fetch is retried next call. */
export function getMeta() {
  if (!cached) {
    cached = api.get('/api/meta').then(normalise);
    cached.catch(() => { cached = null; });
  }
  return cached;
}
