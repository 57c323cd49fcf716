// Login — email and password; the API's lockout (429 + Retry-After) counts down on the button;
// after a lost session it says so and promises the drafts are still there.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import { Field, FormError, fieldError } from '../../components/Field';
import { LangSwitch } from '../shell/LangSwitch';
import { t, useLang } from '../../lib/i18n';
import { signIn } from '../../lib/session';

export function Login({ expired }: { expired: boolean }) {
    useLang();
    const [email, setEmail] = useState('');
    const [password, setPassword] = useState('');
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState<unknown>(null);
    const [wait, setWait] = useState(0);

    useEffect(() => {
        if (wait <= 0) return;
        const timer = window.setTimeout(() => setWait(wait - 1), 1000);
        return () => window.clearTimeout(timer);
    }, [wait]);

    const submit = async (e: Event) => {
        e.preventDefault();
        if (busy || wait > 0) return;
        setBusy(true);
        setErr(null);
        try {
            await signIn(email.trim(), password);
        } catch (x) {
            setErr(x);
            if (x instanceof ApiError && x.status === 429) setWait(x.retryAfter || 60);
        } finally {
            setBusy(false);
        }
    };

    return (
        <main class="login" id="main">
            <div class="login-card">
                <div class="login-top">
                    <h1 class="brand">
                        <span class="brand-mark" aria-hidden="true">
                            س
                        </span>
                        {t('app.name')}
                    </h1>
                    <LangSwitch userId={null} />
                </div>
                <p class="login-lead">{t('login.lead')}</p>
                {expired && (
                    <p class="notice" role="status">
                        {t('login.expired')}
                    </p>
                )}
                <form onSubmit={submit} noValidate>
                    <Field label={t('login.email')} id="login-email" error={fieldError(err, 'email')}>
                        <input id="login-email" name="email" type="email" autoComplete="username" dir="ltr" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
                    </Field>
                    <Field label={t('login.password')} id="login-password" error={fieldError(err, 'password')}>
                        <input id="login-password" name="password" type="password" autoComplete="current-password" dir="ltr" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
                    </Field>
                    <FormError err={err} fields={['email', 'password']} />
                    <button type="submit" class="btn primary wide" disabled={busy || wait > 0}>
                        {wait > 0 ? t('login.wait', { seconds: wait }) : busy ? t('login.signing_in') : t('login.submit')}
                    </button>
                </form>
            </div>
        </main>
    );
}
