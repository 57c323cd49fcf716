// store.ts — a tiny observable value and the hook that re-renders a component when it changes.
import { useEffect, useState } from 'preact/hooks';

export type Listener<T> = (value: T) => void;

export class Store<T> {
    private value: T;
    private listeners = new Set<Listener<T>>();

    constructor(initial: T) {
        this.value = initial;
    }

    get(): T {
        return this.value;
    }

    set(next: T): void {
        if (Object.is(next, this.value)) return;
        this.value = next;
        for (const l of [...this.listeners]) l(next);
    }

    update(fn: (v: T) => T): void {
        this.set(fn(this.value));
    }

    subscribe(fn: Listener<T>): () => void {
        this.listeners.add(fn);
        return () => this.listeners.delete(fn);
    }
}

export function useStore<T>(s: Store<T>): T {
    const [v, setV] = useState(s.get());
    useEffect(() => {
        setV(s.get());
        return s.subscribe(setV);
    }, [s]);
    return v;
}
