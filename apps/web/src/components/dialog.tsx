import { useEffect, useLayoutEffect, useRef, type ReactNode } from 'react';
import { PendingSaveNotice } from './pending-saves';

/** What a dialog's first field is: the one marked autofocus, else the first form control, else any focusable. */
const FIRST_FIELD = [
  '[autofocus]',
  'input:not([type="hidden"]):not([disabled])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '.dialog-body > :not(.dialog-header) button:not([disabled])',
  '.dialog-body > :not(.dialog-header) a[href]',
];

function firstField(dialog: HTMLDialogElement): HTMLElement | null {
  for (const selector of FIRST_FIELD) {
    const found = dialog.querySelector<HTMLElement>(selector);
    if (found) return found;
  }
  return null;
}

/**
 * A modal on the native <dialog>: the focus trap, Escape and the backdrop come from the browser.
 * Opening it puts focus on its first field (not the Close button, where the browser would), and
 * closing it, however that happens, gives focus back to what had it before, usually the button that
 * opened it.
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
  footer,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  // Before the children mount (their autoFocus would move focus first): remember who had focus.
  useLayoutEffect(() => {
    if (open && !ref.current?.open) {
      const active = document.activeElement;
      opener.current = active instanceof HTMLElement && active !== document.body ? active : null;
    }
  }, [open]);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal?.();
      firstField(dialog)?.focus();
    }
    if (!open && dialog.open) dialog.close?.();
    if (!open && opener.current) {
      const back = opener.current;
      opener.current = null;
      if (back.isConnected) back.focus();
    }
  }, [open]);
  // Unmounted while open (the page changed): still give focus back.
  useEffect(
    () => () => {
      if (opener.current?.isConnected) opener.current.focus();
    },
    [],
  );
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="dialog-title"
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <div className="dialog-body">
          <header className="dialog-header">
            <h2 id="dialog-title">{title}</h2>
            <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          <PendingSaveNotice />
          {children}
          {footer && <footer className="dialog-footer">{footer}</footer>}
        </div>
      )}
    </dialog>
  );
}
