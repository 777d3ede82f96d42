/**
 * Modal dialogs: the native `<dialog>` (focus kept inside, Escape closes), opened through a context so
 * any component can ask for one. While one is open, the page behind it is inert and hidden from
 * assistive technology.
 */
import { type ComponentChildren, createContext } from "preact";
import { useContext, useEffect, useId, useRef } from "preact/hooks";

/** Opens and closes the one dialog. */
export interface Dialogs {
  open(dialog: ComponentChildren): void;
  close(): void;
}

export const DialogContext = createContext<Dialogs>({ open() {}, close() {} });

/** The dialog opener of the app. */
export function useDialogs(): Dialogs {
  return useContext(DialogContext);
}

interface Props {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ComponentChildren;
  readonly wide?: boolean;
}

/** A modal dialog titled `title`. */
export function Dialog({ title, onClose, children, wide }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      onClose();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => dialog.removeEventListener("cancel", onCancel);
  }, [onClose]);
  return (
    <dialog ref={ref} class={wide ? "dialog wide" : "dialog"} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** Asks to confirm an action: `confirmLabel` runs `onConfirm`, "Cancel" closes. */
export function ConfirmDialog(props: {
  readonly title: string;
  readonly message: ComponentChildren;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly onConfirm: () => Promise<void> | void;
}) {
  const dialogs = useDialogs();
  return (
    <Dialog title={props.title} onClose={dialogs.close}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          dialogs.close();
          void props.onConfirm();
        }}
      >
        <p>{props.message}</p>
        <div class="actions">
          <button type="button" onClick={dialogs.close}>
            Cancel
          </button>
          <button type="submit" class={props.danger ? "danger" : "primary"}>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
