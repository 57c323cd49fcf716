// LangSwitch — العربية / English; remembered per user.
import { setLang, t, useLang } from '../../lib/i18n';

export function LangSwitch({ userId }: { userId: number | null }) {
    const l = useLang();
    const other = l === 'ar' ? 'en' : 'ar';
    return (
        <button type="button" class="btn ghost lang-switch" lang={other} onClick={() => setLang(other, userId)} aria-label={t('lang.switch_to', { lang: t(`lang.${other}`) })}>
            {t(`lang.${other}`)}
        </button>
    );
}
