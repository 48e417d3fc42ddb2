// Modal dialogs on the native <dialog> element: focus is kept inside while open,
// Escape closes, and focus returns to the element that opened it.

import { h, uid } from './dom.js';
import { t } from './i18n.js';

/**
 * Opens a modal dialog.
 * @param {object} options
 * @param {string} options.title heading of the dialog (also its accessible name)
 * @param {(close: (result?: any) => void, titleId: string) => Node|Node[]} options.body
 *   builds the content; call `close(result)` to close.
 * @param {AbortSignal} [options.signal] closes the dialog when aborted (page left)
 * @returns {Promise<any>} resolves with the result given to close(), or undefined
 */
export function openDialog({ title, body, signal, className = '' }) {
  const opener = document.activeElement;
  const titleId = uid('dialogue-titre');
  const dialog = h('dialog', { class: `dialog ${className}`.trim(), 'aria-labelledby': titleId });
  let result;

  return new Promise((resolve) => {
    function close(value) {
      result = value;
      if (dialog.open) dialog.close();
    }
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(result);
    });
    if (signal) signal.addEventListener('abort', () => close(undefined), { once: true });

    dialog.append(h('h2', { id: titleId, class: 'dialog-title', text: title }));
    const content = body(close, titleId);
    for (const node of [content].flat()) if (node) dialog.append(node);
    document.body.append(dialog);
    dialog.showModal();
    // Focus the first field rather than the first button when there is one.
    const first = dialog.querySelector('input:not([type=hidden]), select, textarea');
    if (first) first.focus();
  });
}

/**
 * Asks for confirmation. Resolves true when confirmed.
 * @param {{ title: string, text: string, confirmLabel: string, danger?: boolean,
 *           signal?: AbortSignal }} options
 */
export function confirmDialog({ title, text, confirmLabel, danger = false, signal }) {
  return openDialog({
    title,
    signal,
    className: 'dialog-confirm',
    body: (close) => {
      const cancel = h('button', {
        type: 'button', class: 'button button-secondary', text: t('common.cancel'),
        onclick: () => close(false),
      });
      const confirm = h('button', {
        type: 'button', class: danger ? 'button button-danger' : 'button', text: confirmLabel,
        onclick: () => close(true),
      });
      // The safe choice gets the initial focus.
      queueMicrotask(() => cancel.focus());
      return [h('p', { text }), h('div', { class: 'form-actions' }, confirm, cancel)];
    },
  }).then((answer) => answer === true);
}
