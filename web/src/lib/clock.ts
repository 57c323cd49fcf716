// clock.ts — "now" for SLA clocks and waits, ticking every 30 s so badges stay true.
import { useEffect, useState } from 'preact/hooks';

export function useNow(everyMs = 30_000): number {
    const [now, setNow] = useState(Date.now());
    useEffect(() => {
        const id = window.setInterval(() => setNow(Date.now()), everyMs);
        return () => window.clearInterval(id);
    }, [everyMs]);
    return now;
}
