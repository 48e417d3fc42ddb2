// Unsaved changes: a page with typed text it has not saved registers a check here, and
// leaving it (a link of the application, back or forward, a reload, closing the tab) asks
// first. The router (app.js) asks through `confirmLeaving`; the browser's own prompt
// covers reloads and closing.

const checks = new Set();

/** Registers `hasChanges` (→ boolean) until `signal` aborts (the page is left). */
export function guardLeaving(hasChanges, signal) {
  checks.add(hasChanges);
  if (signal) signal.addEventListener('abort', () => checks.delete(hasChanges), { once: true });
}

/** Whether some page part has unsaved changes. */
export function unsavedChanges() {
  for (const check of checks) {
    try {
      if (check()) return true;
    } catch { /* a broken check never traps anyone on a page */ }
  }
  return false;
}

/** Forgets every check (the person chose to leave without saving). */
export function releaseLeaving() {
  checks.clear();
}

window.addEventListener('beforeunload', (event) => {
  if (!unsavedChanges()) return;
  event.preventDefault();
  event.returnValue = '';
});
