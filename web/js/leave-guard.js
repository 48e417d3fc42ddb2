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

// Checks for closing or reloading the tab only: text kept in the tab's storage (a draft)
// is safe from a move inside the application, not from the tab being closed.
const closingChecks = new Set();

/** Registers `atRisk` (→ boolean) for the browser's own prompt only, until `signal` aborts. */
export function guardClosing(atRisk, signal) {
  closingChecks.add(atRisk);
  if (signal) signal.addEventListener('abort', () => closingChecks.delete(atRisk), { once: true });
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

// What lets go of the page's kept text (its drafts) when the person chooses to leave
// without saving: each for an element of the page (held weakly: a page left and gone
// is not kept alive by it).
const forgetters = new Set();

/** Registers `forget`, called by `releaseLeaving` while `element` is on the page. */
export function onLeavingWithoutSaving(element, forget) {
  for (const f of forgetters) if (!f.ref.deref()) forgetters.delete(f);
  forgetters.add({ ref: new WeakRef(element), forget });
}

/** Forgets every check, and the page's drafts (the person chose to leave without saving). */
export function releaseLeaving() {
  checks.clear();
  closingChecks.clear();
  for (const f of [...forgetters]) {
    const element = f.ref.deref();
    if (!element) forgetters.delete(f);
    else if (element.isConnected) {
      try {
        f.forget();
      } catch { /* a broken draft never keeps anyone on a page */ }
    }
  }
}

function atRiskOnClosing() {
  for (const check of closingChecks) {
    try {
      if (check()) return true;
    } catch { /* never traps anyone */ }
  }
  return false;
}

window.addEventListener('beforeunload', (event) => {
  if (!unsavedChanges() && !atRiskOnClosing()) return;
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
