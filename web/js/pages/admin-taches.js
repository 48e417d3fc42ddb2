// Scheduled jobs (/admin/taches, role admin): each background job with how often it
// runs, its last run and outcome, its next run, its counts of runs and failures, and
// « Lancer maintenant » (POST /api/admin/jobs/{key}/run, then the table is read again
// until that run is over).

import { api } from '../api.js';
import { h, srOnly, uid, stackTable } from '../dom.js';
import { t } from '../i18n.js';
import { absoluteDate, everyInWords, isoDate, shortDate } from '../time.js';

export const title = 'adminJobs.title';

const FOLLOW_EVERY_MS = 1_000; // after « Lancer maintenant », read the table again…
const FOLLOW_TIMES = 10; // …at most that many times

/** The French name of a job, or its key when the interface does not know it. */
function jobName(key) {
  const name = t(`adminJobs.job.${key}`);
  return name === `adminJobs.job.${key}` ? key : name;
}

// French counts: 0 and 1 take the singular.
const count = (key, n) => t(`${key}.${n <= 1 ? 'one' : 'other'}`, { n });

function when(value, fallback) {
  const text = shortDate(value);
  return text ? h('time', { datetime: isoDate(value), title: absoluteDate(value), text }) : fallback;
}

function outcome(job) {
  const parts = [];
  if (job.running) parts.push(h('span', { class: 'tag tag-info', text: t('adminJobs.running') }), ' ');
  if (job.last_status === 'ok') {
    parts.push(h('span', { class: 'tag tag-ok', text: t('adminJobs.ok') }));
    if (Number.isFinite(job.last_duration_ms)) {
      parts.push(' ', h('span', { class: 'job-duration', text: t('adminJobs.duration', { ms: job.last_duration_ms }) }));
    }
  } else if (job.last_status === 'error') {
    parts.push(h('span', { class: 'tag tag-error', text: t('adminJobs.error') }));
    if (job.last_error) parts.push(h('span', { class: 'job-error', text: job.last_error }));
  } else if (!job.running) {
    parts.push(h('span', { class: 'tag tag-off', text: t('adminJobs.neverRun') }));
  }
  return parts;
}

export async function render(ctx) {
  const { signal } = ctx;
  let jobs = (await api.get('/api/admin/jobs', { signal })).jobs || [];

  const captionId = uid('legende');
  const tbody = h('tbody');
  let following = null;

  function row(job) {
    const name = jobName(job.key);
    return h('tr', { 'data-key': job.key },
      h('th', { scope: 'row' },
        h('span', { class: 'job-name', text: name }),
        name !== job.key ? h('code', { class: 'job-key', text: job.key }) : null),
      h('td', { text: everyInWords(job.interval_s) }),
      h('td', {}, when(job.last_run, t('adminJobs.never'))),
      h('td', { class: 'cell-outcome' }, outcome(job)),
      h('td', {}, when(job.next_run, '—')),
      h('td', { class: 'cell-number' },
        h('span', { 'aria-hidden': 'true', text: t('adminJobs.runs', { runs: job.runs ?? 0, failures: job.failures ?? 0 }) }),
        srOnly(t('adminJobs.runsLong', {
          runs: count('adminJobs.runCount', job.runs ?? 0),
          failures: count('adminJobs.failureCount', job.failures ?? 0),
        }))),
      h('td', { class: 'cell-actions' },
        h('button', {
          type: 'button', class: 'button button-small', 'data-action': 'run',
          'aria-disabled': job.running ? 'true' : null,
          onclick: () => runNow(job.key),
        }, t('adminJobs.runNow'), srOnly(`\u00A0: ${name}`))));
  }

  /** Draws the rows again, keeping the keyboard on the same row's button. */
  function draw() {
    const active = document.activeElement;
    const focusedKey = active && tbody.contains(active) ? active.closest('tr')?.dataset.key : null;
    tbody.replaceChildren(...(jobs.length ? jobs.map(row)
      : [h('tr', {}, h('td', { colspan: '7', class: 'empty', text: t('adminJobs.empty') }))]));
    if (focusedKey) {
      const again = [...tbody.rows].find((tr) => tr.dataset.key === focusedKey);
      again?.querySelector('[data-action="run"]')?.focus();
    }
  }

  async function reload() {
    const data = await api.get('/api/admin/jobs', { signal });
    jobs = data.jobs || [];
    draw();
  }

  /** Reads the table again until the job's run count moved (or a few seconds passed). */
  function follow(key, runsBefore) {
    clearTimeout(following);
    let left = FOLLOW_TIMES;
    const tick = async () => {
      left -= 1;
      try {
        await reload();
      } catch {
        return; // the page is gone, or the server: the « Actualiser » button remains
      }
      const job = jobs.find((j) => j.key === key);
      if (left > 0 && job && !signal.aborted && (job.running || (job.runs ?? 0) <= runsBefore)) {
        following = setTimeout(tick, FOLLOW_EVERY_MS);
      }
    };
    following = setTimeout(tick, FOLLOW_EVERY_MS / 2);
  }

  async function runNow(key) {
    const job = jobs.find((j) => j.key === key);
    if (!job || job.running) return;
    try {
      await api.post(`/api/admin/jobs/${encodeURIComponent(key)}/run`, {}, { signal });
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      return;
    }
    ctx.announce(t('adminJobs.requested', { name: jobName(key) }), 'success');
    follow(key, job.runs ?? 0);
  }

  signal.addEventListener('abort', () => clearTimeout(following), { once: true });
  draw();

  const refresh = h('button', {
    type: 'button', class: 'button button-secondary', text: t('adminJobs.refresh'),
    onclick: async () => {
      try {
        await reload();
        ctx.announce(t('adminJobs.refreshed'), 'info');
      } catch (err) {
        if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
      }
    },
  });

  return h('section', { class: 'page page-admin' },
    h('div', { class: 'page-head' },
      h('h1', { text: t('adminJobs.title') }),
      h('div', { class: 'page-actions' }, refresh)),
    h('p', { class: 'lead', text: t('adminJobs.intro') }),
    h('div', {
      class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: '0',
    },
    stackTable(h('table', { class: 'table table-jobs' },
      h('caption', { id: captionId, text: t('adminJobs.tableCaption') }),
      h('thead', {}, h('tr', {},
        ['colJob', 'colInterval', 'colLast', 'colStatus', 'colNext', 'colRuns', 'colActions']
          .map((key) => h('th', {
            scope: 'col', class: key === 'colRuns' ? 'cell-number' : null, text: t(`adminJobs.${key}`),
          })))),
      tbody))));
}
