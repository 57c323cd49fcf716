// shortcuts.ts — single-key shortcuts (j/k move, r reply, n note, e escalate, / search). A key
// typed into a field, with a modifier, or while a dialog is open is left alone.
import { useEffect, useRef } from 'preact/hooks';

function typing(target: EventTarget | null): boolean {
    const el = target as HTMLElement | null;
    if (!el || !el.tagName) return false;
    const tag = el.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

/* Bind keys (e.key values) while the component is mounted. */
export function useShortcuts(map: Record<string, () => void>): void {
    const ref = useRef(map);
    ref.current = map;
    useEffect(() => {
        const onKey = (e: KeyboardEvent) => {
            if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
            if (document.querySelector('dialog[open]')) return;
            const fn = ref.current[e.key];
            if (fn) {
                e.preventDefault();
                fn();
            }
        };
        window.addEventListener('keydown', onKey);
        return () => window.removeEventListener('keydown', onKey);
    }, []);
}
