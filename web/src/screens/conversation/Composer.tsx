// Composer — reply to the customer or write an internal note. An approved template can be
// picked, previewed with its placeholders filled (customer, number, agent) and inserted; sent
// unchanged it goes as the template (the server renders and counts it), edited it goes as text.
// What is typed is kept as a draft per conversation until it is sent.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Conversation, SessionUser } from '../../api/types';
import { FormError } from '../../components/Field';
import { toast } from '../../components/Toasts';
import { loadDraft, saveDraft } from '../../lib/drafts';
import { t, useLang, type Lang } from '../../lib/i18n';
import { refdata } from '../../lib/refdata';
import { useStore } from '../../lib/store';
import { fillTemplate, templateText } from '../../lib/template';

export type Mode = 'reply' | 'note';
export interface ComposerHandle {
    focus: (mode: Mode) => void;
}

interface Props {
    conv: Conversation;
    user: SessionUser;
    onSent: (c: Conversation) => void;
    control: { current: ComposerHandle | null };
}

export function Composer({ conv, user, onSent, control }: Props) {
    const uiLang = useLang();
    const rd = useStore(refdata);
    const [mode, setMode] = useState<Mode>('reply');
    const [text, setText] = useState(() => loadDraft(user.id, `conv.${conv.id}.reply`));
    const [tplCode, setTplCode] = useState('');
    const [tplLang, setTplLang] = useState<Lang>('ar');
    const [inserted, setInserted] = useState<{ code: string; lang: Lang; text: string } | null>(null);
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState<unknown>(null);
    const area = useRef<HTMLTextAreaElement>(null);

    control.current = {
        focus: (m: Mode) => {
            switchMode(m);
            window.setTimeout(() => area.current?.focus(), 0);
        },
    };

    const place = (m: Mode) => `conv.${conv.id}.${m}`;
    const switchMode = (m: Mode) => {
        if (m === mode) return;
        saveDraft(user.id, place(mode), text);
        setMode(m);
        setText(loadDraft(user.id, place(m)));
        setInserted(null);
        setErr(null);
    };
    useEffect(() => {
        const timer = window.setTimeout(() => saveDraft(user.id, place(mode), text), 300);
        return () => window.clearTimeout(timer);
    }, [text, mode]);

    const tpl = rd.templates.find((x) => x.code === tplCode);
    const preview = useMemo(() => {
        if (!tpl) return '';
        return fillTemplate(templateText(tpl, tplLang, conv.channel), {
            customerName: conv.customer?.name ?? '',
            conversationNumber: conv.number,
            conversationSubject: conv.subject,
            agentName: user.name,
        });
    }, [tpl, tplLang, conv.id, conv.customer?.name, uiLang]);

    const insert = () => {
        if (!tpl) return;
        setText(preview);
        setInserted({ code: tpl.code, lang: tplLang, text: preview });
        area.current?.focus();
    };

    const send = async () => {
        if (busy || !text.trim()) return;
        setBusy(true);
        setErr(null);
        const asTemplate = mode === 'reply' && inserted && inserted.text === text;
        const body = asTemplate ? { kind: 'reply', template: inserted.code, lang: inserted.lang } : { kind: mode, body: text };
        try {
            const c = await api.post<Conversation>(`/api/v1/conversations/${conv.id}/messages`, body);
            saveDraft(user.id, place(mode), '');
            setText('');
            setInserted(null);
            setTplCode('');
            toast(mode === 'reply' ? t('composer.sent') : t('composer.noted'));
            onSent(c);
        } catch (e) {
            setErr(e);
        } finally {
            setBusy(false);
        }
    };

    const label = mode === 'reply' ? t('composer.reply_label') : t('composer.note_label');
    return (
        <form
            class={`composer mode-${mode}`}
            onSubmit={(e) => {
                e.preventDefault();
                void send();
            }}
            aria-label={t('composer.label')}
        >
            <div class="composer-top">
                <div class="composer-tabs" role="group" aria-label={t('composer.mode')}>
                    <button type="button" class={`tab ${mode === 'reply' ? 'on' : ''}`} aria-pressed={mode === 'reply'} onClick={() => switchMode('reply')} aria-keyshortcuts="r" id="mode-reply">
                        {t('composer.reply')}
                    </button>
                    <button type="button" class={`tab ${mode === 'note' ? 'on' : ''}`} aria-pressed={mode === 'note'} onClick={() => switchMode('note')} aria-keyshortcuts="n" id="mode-note">
                        {t('composer.note')}
                    </button>
                </div>
                {mode === 'reply' && (
                    <div class="template-picker">
                        <label>
                            <span class="label-text">{t('composer.template')}</span>
                            <select id="composer-template" value={tplCode} onChange={(e) => setTplCode(e.currentTarget.value)}>
                                <option value="">{rd.templates.length ? t('composer.template_none') : t('composer.template_empty')}</option>
                                {rd.templates.map((x) => (
                                    <option key={x.code} value={x.code}>
                                        {x.title}
                                    </option>
                                ))}
                            </select>
                        </label>
                        <label>
                            <span class="label-text">{t('composer.template_lang')}</span>
                            <select id="composer-template-lang" value={tplLang} onChange={(e) => setTplLang(e.currentTarget.value as Lang)}>
                                <option value="ar">{t('lang.ar')}</option>
                                <option value="en">{t('lang.en')}</option>
                            </select>
                        </label>
                    </div>
                )}
            </div>
            {mode === 'reply' && tpl && (
                <div class="template-preview">
                    <p class="label-text" id="tpl-preview-label">
                        {t('composer.preview')}
                    </p>
                    <p class="preview-text" dir={tplLang === 'ar' ? 'rtl' : 'ltr'} lang={tplLang} aria-labelledby="tpl-preview-label" id="template-preview">
                        {preview}
                    </p>
                    <button type="button" class="btn" id="template-insert" onClick={insert}>
                        {t('composer.insert')}
                    </button>
                </div>
            )}
            <label for="composer-text" class="visually-hidden">
                {label}
            </label>
            <textarea
                id="composer-text"
                ref={area}
                dir="auto"
                rows={3}
                value={text}
                placeholder={label}
                onInput={(e) => setText(e.currentTarget.value)}
                onKeyDown={(e) => {
                    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                        e.preventDefault();
                        void send();
                    }
                }}
            />
            {inserted && inserted.text === text && <p class="hint">{t('composer.as_template', { code: inserted.code })}</p>}
            <FormError err={err} />
            <div class="composer-actions">
                <span class="hint">{t('composer.send_hint')}</span>
                <button type="submit" class="btn primary" id="composer-send" disabled={busy || !text.trim()}>
                    {mode === 'reply' ? t('composer.send_reply') : t('composer.add_note')}
                </button>
            </div>
        </form>
    );
}
