// Field — a labelled control with its error beside it. The API names the offending field in
// {"error":{"field"}}; a form passes its ApiError and each Field shows the message when it is
// theirs.
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client';
import { errorText } from '../lib/errors';

let seq = 0;
export function useFieldId(prefix: string): string {
    return `${prefix}-${++seq}`;
}

export function fieldError(err: unknown, ...names: string[]): string | null {
    if (!(err instanceof ApiError) || !err.field) return null;
    const f = err.field;
    return names.some((n) => f === n || f.startsWith(`${n}.`) || f.startsWith(`${n}[`)) ? errorText(err) : null;
}

export interface FieldProps {
    label: string;
    id: string;
    error?: string | null;
    hint?: string;
    children: ComponentChildren;
    class?: string;
}

/* The control (children) must carry id={props.id}. */
export function Field({ label, id, error, hint, children, class: cls }: FieldProps) {
    return (
        <div class={`field ${cls ?? ''} ${error ? 'has-error' : ''}`}>
            <label for={id}>{label}</label>
            {children}
            {hint && !error && <p class="hint" id={`${id}-hint`}>{hint}</p>}
            {error && (
                <p class="field-error" id={`${id}-error`} role="alert">
                    {error}
                </p>
            )}
        </div>
    );
}

/* The error of a form that is not about one field. */
export function FormError({ err, fields = [] }: { err: unknown; fields?: string[] }) {
    if (!err) return null;
    if (err instanceof ApiError && err.field && fields.some((n) => err.field === n || err.field.startsWith(`${n}.`))) return null;
    return (
        <p class="form-error" role="alert">
            {errorText(err)}
        </p>
    );
}
