// The shared vocabulary from GET /api/meta (docs/api.md): every code the interface
// shows — account roles, organisation types, regions and their départements, the
// library's kinds, phases and missions, the workshops' stages, states and roles —
// with its French label. The server is the one source of these labels.
//
// The shell loads it once at start (`loadMeta`, before the first page renders); from
// then on render code reads it synchronously: `labels.stage('pre_aci')`,
// `lists.phases()`. Before it is loaded (or if it could not be), a label is its code
// and a list is empty; the shell tries again before the next page.

import { api } from './api.js';
import { compare } from './i18n.js';

const EMPTY = {
  roles: [],
  orgTypes: [],
  regions: [],
  departements: [],
  phases: [],
  missions: [],
  kinds: [],
  stages: [],
  workshopStates: [],
  workshopRoles: [],
};

let data = EMPTY;
let maps = {};
let loaded = false;
let pending = null;

function entries(list) {
  return (Array.isArray(list) ? list : [])
    .filter((x) => x && x.code !== undefined && x.code !== null)
    .map((x) => ({ code: String(x.code), label: String(x.label ?? x.name ?? x.code) }));
}

function normalise(raw) {
  const regions = (Array.isArray(raw?.regions) ? raw.regions : []).map((r) => {
    const label = String(r.label ?? r.name ?? r.code);
    return {
      code: String(r.code),
      label,
      name: label,
      departements: entries(r.departements).map((d) => ({ ...d, name: d.label })),
    };
  });
  regions.sort((a, b) => compare(a.label, b.label));
  return {
    roles: entries(raw?.roles),
    orgTypes: entries(raw?.org_types),
    regions,
    departements: entries(raw?.departements),
    phases: entries(raw?.phases),
    missions: entries(raw?.missions),
    kinds: entries(raw?.kinds),
    stages: entries(raw?.workshop_stages),
    workshopStates: entries(raw?.workshop_states),
    workshopRoles: entries(raw?.workshop_roles),
  };
}

function install(next) {
  data = next;
  maps = Object.fromEntries(Object.entries(next).map(([key, list]) =>
    [key, new Map(list.map((x) => [x.code, x]))]));
  loaded = true;
}

/** Fetches the vocabulary once (again after a failure); resolves when it is usable. */
export function loadMeta() {
  if (loaded) return Promise.resolve(data);
  if (!pending) {
    pending = api.get('/api/meta')
      .then((raw) => {
        install(normalise(raw));
        return data;
      })
      .finally(() => { pending = null; });
  }
  return pending;
}

/** Whether the vocabulary is loaded. */
export function metaLoaded() {
  return loaded;
}

function labelIn(key) {
  return (code) => {
    if (code === null || code === undefined) return '';
    return maps[key]?.get(String(code))?.label ?? String(code);
  };
}

/** The French label of a code; the code itself when unknown. */
export const labels = {
  role: labelIn('roles'),
  orgType: labelIn('orgTypes'),
  region: labelIn('regions'),
  departement: labelIn('departements'),
  phase: labelIn('phases'),
  mission: labelIn('missions'),
  kind: labelIn('kinds'),
  stage: labelIn('stages'),
  workshopState: labelIn('workshopStates'),
  workshopRole: labelIn('workshopRoles'),
};

/** The codes with their labels, in the server's order ([{ code, label }]). */
export const lists = {
  roles: () => data.roles,
  orgTypes: () => data.orgTypes,
  /** Sorted by name; each with its départements ([{ code, label, name }]). */
  regions: () => data.regions,
  departements: () => data.departements,
  phases: () => data.phases,
  missions: () => data.missions,
  kinds: () => data.kinds,
  stages: () => data.stages,
  workshopStates: () => data.workshopStates,
  workshopRoles: () => data.workshopRoles,
};

/** A region with its départements, or null (national, or unknown). */
export function region(code) {
  if (code === null || code === undefined || code === '') return null;
  return maps.regions?.get(String(code)) ?? null;
}
