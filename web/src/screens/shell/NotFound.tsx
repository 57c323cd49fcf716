import { t } from '../../lib/i18n';
import { BASE, linkClick } from '../../lib/router';

export function NotFound() {
    return (
        <main id="main" class="page narrow">
            <h1>{t('notfound.title')}</h1>
            <p>
                <a href={`${BASE}/`} onClick={linkClick('/')}>
                    {t('notfound.home')}
                </a>
            </p>
        </main>
    );
}
