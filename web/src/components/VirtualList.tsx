// VirtualList — renders only the rows in view (plus a few either side) of a fixed-row-height
// list, so ten thousand rows scroll like ten. Rows are absolutely placed inside a spacer as tall
// as the whole list; positions are set through the CSSOM (the CSP forbids style attributes).
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualListProps<T> {
    items: T[];
    rowHeight: number;
    overscan?: number;
    /* Index to keep in view (the selected row). */
    activeIndex?: number;
    render: (item: T, index: number) => ComponentChildren;
    itemKey: (item: T) => string | number;
    label: string;
    id?: string;
}

export function VirtualList<T>({ items, rowHeight, overscan = 6, activeIndex = -1, render, itemKey, label, id }: VirtualListProps<T>) {
    const box = useRef<HTMLDivElement>(null);
    const spacer = useRef<HTMLDivElement>(null);
    const [scroll, setScroll] = useState({ top: 0, height: 600 });

    useLayoutEffect(() => {
        const el = box.current;
        if (!el) return;
        const measure = () => setScroll({ top: el.scrollTop, height: el.clientHeight || 600 });
        measure();
        let frame = 0;
        const onScroll = () => {
            if (frame) return;
            frame = requestAnimationFrame(() => {
                frame = 0;
                measure();
            });
        };
        el.addEventListener('scroll', onScroll, { passive: true });
        const ro = new ResizeObserver(measure);
        ro.observe(el);
        return () => {
            el.removeEventListener('scroll', onScroll);
            ro.disconnect();
            if (frame) cancelAnimationFrame(frame);
        };
    }, []);

    useLayoutEffect(() => {
        if (spacer.current) spacer.current.style.height = `${items.length * rowHeight}px`;
    }, [items.length, rowHeight]);

    useEffect(() => {
        const el = box.current;
        if (!el || activeIndex < 0) return;
        const top = activeIndex * rowHeight;
        if (top < el.scrollTop) el.scrollTop = top;
        else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight;
    }, [activeIndex, rowHeight]);

    const first = Math.max(0, Math.floor(scroll.top / rowHeight) - overscan);
    const last = Math.min(items.length, Math.ceil((scroll.top + scroll.height) / rowHeight) + overscan);
    const visible: ComponentChildren[] = [];
    for (let i = first; i < last; i++) {
        const item = items[i];
        visible.push(
            <VirtualRow key={itemKey(item)} top={i * rowHeight} height={rowHeight} index={i} total={items.length}>
                {render(item, i)}
            </VirtualRow>,
        );
    }
    return (
        <div class="vlist" ref={box} id={id} role="list" aria-label={label} tabIndex={-1} data-rows={items.length}>
            <div class="vlist-spacer" ref={spacer}>
                {visible}
            </div>
        </div>
    );
}

function VirtualRow({ top, height, index, total, children }: { top: number; height: number; index: number; total: number; children: ComponentChildren }) {
    const ref = useRef<HTMLDivElement>(null);
    useLayoutEffect(() => {
        const el = ref.current;
        if (!el) return;
        el.style.transform = `translateY(${top}px)`;
        el.style.height = `${height}px`;
    }, [top, height]);
    return (
        <div class="vlist-row" ref={ref} role="listitem" aria-setsize={total} aria-posinset={index + 1}>
            {children}
        </div>
    );
}
