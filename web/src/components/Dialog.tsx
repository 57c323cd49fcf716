// Dialog — a modal <dialog> (focus kept inside, Escape closes) with a title and a form.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../lib/i18n';

export interface DialogProps {
    title: string;
    onClose: () => void;
    onSubmit?: () => void;
    submitLabel?: string;
    busy?: boolean;
    children: ComponentChildren;
    id?: string;
}

export function Dialog({ title, onClose, onSubmit, submitLabel, busy, children, id }: DialogProps) {
    const ref = useRef<HTMLDialogElement>(null);
    useEffect(() => {
        const d = ref.current;
        if (!d) return;
        if (!d.open) d.showModal();
        const first = d.querySelector<HTMLElement>('textarea, input, select');
        first?.focus();
        const cancel = (e: Event) => {
            e.preventDefault();
            onClose();
        };
        d.addEventListener('cancel', cancel);
        return () => d.removeEventListener('cancel', cancel);
    }, []);
    const titleId = `${id ?? 'dialog'}-title`;
    return (
        <dialog ref={ref} class="dialog" aria-labelledby={titleId} id={id}>
            <form
                method="dialog"
                noValidate
                onSubmit={(e) => {
                    e.preventDefault();
                    if (!busy) onSubmit?.();
                }}
            >
                <h2 id={titleId}>{title}</h2>
                <div class="dialog-body">{children}</div>
                <div class="dialog-actions">
                    {onSubmit && (
                        <button type="submit" class="btn primary" disabled={busy}>
                            {submitLabel ?? t('action.save')}
                        </button>
                    )}
                    <button type="button" class="btn" onClick={onClose}>
                        {t('action.cancel')}
                    </button>
                </div>
            </form>
        </dialog>
    );
}
