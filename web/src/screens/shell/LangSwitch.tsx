// LangSwitch — العربية / English; remembered per user.
import { api } from '../../api/client';
import { setLang, t, useLang } from '../../lib/i18n';

/* Switch here, and remember it on the server so the user's other browsers follow. */
function choose(l: 'ar' | 'en', userId: number | null): void {
    setLang(l, userId);
    if (userId) void api.patch('/api/v1/me', { locale: l }).catch(() => undefined);
}

export function LangSwitch({ userId }: { userId: number | null }) {
    const l = useLang();
    const other = l === 'ar' ? 'en' : 'ar';
    return (
        <button type="button" class="btn ghost lang-switch" lang={other} onClick={() => choose(other, userId)} aria-label={t('lang.switch_to', { lang: t(`lang.${other}`) })}>
            {t(`lang.${other}`)}
        </button>
    );
}
