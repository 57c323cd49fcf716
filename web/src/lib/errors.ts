// errors.ts — an API error as words for the agent: a known code has its own sentence in the
// locale files, anything else shows the server's message.
import { ApiError } from '../api/client';
import { t, tOr } from './i18n';

export function errorText(err: unknown): string {
    if (err instanceof ApiError) {
        if (err.status === 429) return t('error.rate_limited', { seconds: err.retryAfter || 60 });
        if (err.status === 0) return t('error.network');
        if (err.status >= 500) return t('error.server');
        return tOr(`error.${err.code}`, err.message || t('error.unknown'));
    }
    if (err instanceof Error) return err.message;
    return String(err);
}
