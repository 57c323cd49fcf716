// kit.tsx — what the settings screens share: loading a list, a section heading with its action,
// the list's table with its row actions, the row being edited, and a dialog-backed edit form whose
// API errors land beside the right field.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, getAll } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { FormError } from '../../components/Field';
import { toast, toastError } from '../../components/Toasts';
import { errorText } from '../../lib/errors';
import { t } from '../../lib/i18n';

export function useList<T>(path: string, paged = true) {
    const [items, setItems] = useState<T[] | null>(null);
    const [err, setErr] = useState<unknown>(null);
    const reload = async () => {
        try {
            setItems(paged ? await getAll<T>(path) : ((await api.get<{ items: T[] }>(path)).items ?? []));
            setErr(null);
        } catch (e) {
            setErr(e);
        }
    };
    useEffect(() => {
        void reload();
    }, [path]);
    return { items, err, reload };
}

export function SectionHead({ title, action, onAction }: { title: string; action?: string; onAction?: () => void }) {
    return (
        <div class="section-head">
            <h2 id="settings-title">{title}</h2>
            {action && (
                <button type="button" class="btn primary" onClick={onAction} id="settings-new">
                    {action}
                </button>
            )}
        </div>
    );
}

export function ListState({ items, err }: { items: unknown[] | null; err: unknown }) {
    if (err) return <p class="form-error">{errorText(err)}</p>;
    if (items === null) return <p class="hint">{t('state.loading')}</p>;
    if (items.length === 0) return <p class="empty">{t('settings.empty')}</p>;
    return null;
}

/* A dialog whose submit runs `save`; errors stay in the dialog, success closes it. */
export function EditDialog({ title, save, onClose, onSaved, fields, children, id }: { title: string; save: () => Promise<unknown>; onClose: () => void; onSaved: () => void; fields: string[]; children: (err: unknown) => ComponentChildren; id?: string }) {
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState<unknown>(null);
    const submit = async () => {
        setBusy(true);
        setErr(null);
        try {
            await save();
            toast(t('settings.saved'));
            onSaved();
        } catch (e) {
            setErr(e);
        } finally {
            setBusy(false);
        }
    };
    return (
        <Dialog id={id} title={title} onClose={onClose} onSubmit={() => void submit()} busy={busy}>
            {children(err)}
            <FormError err={err} fields={fields} />
        </Dialog>
    );
}

/* Run an action from a table row, telling the outcome in a toast. */
export async function act(fn: () => Promise<unknown>, done: () => void, ok = t('settings.saved')): Promise<void> {
    try {
        await fn();
        toast(ok);
        done();
    } catch (e) {
        toastError(e);
    }
}

export function splitList(s: string): string[] {
    return s.split(/[,\u060C\s]+/).map((x) => x.trim()).filter(Boolean);
}

/* A settings list as a table: a column per heading, each row's cells, and its actions last (that
 * column is named for screen readers only). muted: rows shown dimmed (disabled ones); code: a
 * row's data-code attribute. */
export function ListTable<T extends { id?: number; code?: string }>({ items, heads, cells, actions, muted, id }: { items: T[]; heads: string[]; cells: (x: T) => ComponentChildren; actions: (x: T) => ComponentChildren; muted?: (x: T) => boolean; id?: string }) {
    return (
        <table class="table" id={id}>
            <thead>
                <tr>
                    {heads.map((h) => (
                        <th scope="col" key={h}>
                            {h}
                        </th>
                    ))}
                    <th scope="col">
                        <span class="visually-hidden">{t('settings.actions')}</span>
                    </th>
                </tr>
            </thead>
            <tbody>
                {items.map((x) => (
                    <tr key={x.id ?? x.code} class={muted?.(x) ? 'muted' : undefined} data-code={x.code}>
                        {cells(x)}
                        <td class="row-actions">{actions(x)}</td>
                    </tr>
                ))}
            </tbody>
        </table>
    );
}

/* The row a settings screen edits ('new': one to create; null: none) and what its dialog is
 * closed and saved with (saving reloads the list, then `after`). */
export function useEditor<T>(reload: () => Promise<void>, after?: () => void) {
    const [editing, setEditing] = useState<T | 'new' | null>(null);
    return {
        editing,
        edit: setEditing,
        target: editing === 'new' ? null : editing,
        dialog: {
            onClose: () => setEditing(null),
            onSaved: () => {
                setEditing(null);
                void reload();
                after?.();
            },
        },
    };
}

export function EditButton({ onClick }: { onClick: () => void }) {
    return (
        <button type="button" class="btn small" onClick={onClick}>
            {t('action.edit')}
        </button>
    );
}

/* Enable or disable the row at `path` (PATCH {"enabled"}). */
export function EnableButton({ path, enabled, done }: { path: string; enabled: boolean; done: () => void }) {
    return (
        <button type="button" class="btn small" onClick={() => void act(() => api.patch(path, { enabled: !enabled }), done)}>
            {enabled ? t('settings.disable') : t('settings.enable')}
        </button>
    );
}

/* Delete the row at `path`, once confirmed by name. */
export function DeleteButton({ path, name, done }: { path: string; name: string; done: () => void }) {
    return (
        <button type="button" class="btn small danger" onClick={() => confirm(t('settings.confirm_delete', { name })) && void act(() => api.del(path), done, t('settings.deleted'))}>
            {t('action.delete')}
        </button>
    );
}
