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

/**
 * Guards every text box under `root` (text, URL, search fields and text areas): leaving
 * asks while one holds text that differs from what it was drawn with. For pages whose
 * forms are many and small (a watch field's qualification, comments, posts).
 */
export function guardTypedText(root, signal) {
  guardLeaving(() => [...root.querySelectorAll('textarea, input[type=text], input[type=url], input[type=email], input:not([type])')]
    .some((box) => box.isConnected && box.value.trim() !== '' && box.value !== box.defaultValue), signal);
}
