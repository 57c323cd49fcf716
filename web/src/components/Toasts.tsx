// Toasts — short notices (saved, sent, failed) read out by screen readers; each fades after a
// few seconds.
import { ApiError } from '../api/client';
import { errorText } from '../lib/errors';
import { lang } from '../lib/i18n';
import { Store, useStore } from '../lib/store';

interface Toast {
    id: number;
    text: string;
    kind: 'ok' | 'error';
}

const toasts = new Store<Toast[]>([]);
let seq = 0;
// A notice in the language just left would be out of place: a switch clears them.
lang.subscribe(() => toasts.set([]));

export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
    const id = ++seq;
    toasts.set([...toasts.get(), { id, text, kind }]);
    window.setTimeout(() => toasts.set(toasts.get().filter((x) => x.id !== id)), kind === 'error' ? 8000 : 4000);
}

/* Tell a failure, except a lost session: the sign-in screen already says that. */
export function toastError(e: unknown): void {
    if (e instanceof ApiError && e.status === 401) return;
    toast(errorText(e), 'error');
}

export function Toasts() {
    const list = useStore(toasts);
    return (
        <div class="toasts" aria-live="polite" role="status">
            {list.map((x) => (
                <p key={x.id} class={`toast toast-${x.kind}`}>
                    {x.text}
                </p>
            ))}
        </div>
    );
}
