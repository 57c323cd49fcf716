// TemplatesSettings — reply templates: Arabic and English texts with placeholders, optional
// short variants for X and SMS, a preview with sample values; supervisors and admins approve,
// authors edit (back to draft) or retire.
import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { SessionUser, Template } from '../../api/types';
import { Field, fieldError } from '../../components/Field';
import { t } from '../../lib/i18n';
import { reloadTemplates } from '../../lib/refdata';
import { isLead } from '../../lib/session';
import { fillTemplate } from '../../lib/template';
import { act, EditButton, EditDialog, ListState, ListTable, SectionHead, useEditor, useList } from './kit';

const PLACEHOLDERS = ['{{customer.name}}', '{{conversation.number}}', '{{conversation.subject}}', '{{agent.name}}'];

function sample(text: string): string {
    return fillTemplate(text, { customerName: t('templates.sample_customer'), conversationNumber: 'SND-000123', conversationSubject: t('templates.sample_subject'), agentName: t('templates.sample_agent') });
}

function TemplateDialog({ tpl, onClose, onSaved }: { tpl: Template | null; onClose: () => void; onSaved: () => void }) {
    const [code, setCode] = useState(tpl?.code ?? '');
    const [title, setTitle] = useState(tpl?.title ?? '');
    const [ar, setAr] = useState(tpl?.bodies.ar ?? '');
    const [en, setEn] = useState(tpl?.bodies.en ?? '');
    const [x, setX] = useState(tpl?.variants?.x ?? '');
    const [sms, setSms] = useState(tpl?.variants?.sms ?? '');
    const save = () => {
        const variants: Record<string, string> = {};
        if (x.trim()) variants.x = x;
        if (sms.trim()) variants.sms = sms;
        const body = { title, bodies: { ar, en }, variants };
        return tpl ? api.patch(`/api/v1/templates/${encodeURIComponent(tpl.code)}`, body) : api.post('/api/v1/templates', { code, ...body });
    };
    return (
        <EditDialog id="template-dialog" title={tpl ? t('templates.edit', { code: tpl.code }) : t('templates.new')} save={save} onClose={onClose} onSaved={onSaved} fields={['code', 'title', 'bodies', 'variants']}>
            {(err) => (
                <>
                    {!tpl && (
                        <Field label={t('settings.code')} id="tpl-code" error={fieldError(err, 'code')} hint={t('settings.code_hint')}>
                            <input id="tpl-code" dir="ltr" value={code} onInput={(e) => setCode(e.currentTarget.value)} required />
                        </Field>
                    )}
                    <Field label={t('templates.title')} id="tpl-title" error={fieldError(err, 'title')}>
                        <input id="tpl-title" dir="auto" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required />
                    </Field>
                    <p class="hint">
                        {t('templates.placeholders')}{' '}
                        {PLACEHOLDERS.map((p) => (
                            <code key={p} dir="ltr">
                                {p}
                            </code>
                        ))}
                    </p>
                    <Field label={t('templates.body_ar')} id="tpl-ar" error={fieldError(err, 'bodies.ar') ?? fieldError(err, 'bodies')}>
                        <textarea id="tpl-ar" dir="rtl" lang="ar" rows={4} value={ar} onInput={(e) => setAr(e.currentTarget.value)} />
                    </Field>
                    {ar && (
                        <p class="preview-text" dir="rtl" lang="ar">
                            {sample(ar)}
                        </p>
                    )}
                    <Field label={t('templates.body_en')} id="tpl-en" error={fieldError(err, 'bodies.en')}>
                        <textarea id="tpl-en" dir="ltr" lang="en" rows={4} value={en} onInput={(e) => setEn(e.currentTarget.value)} />
                    </Field>
                    {en && (
                        <p class="preview-text" dir="ltr" lang="en">
                            {sample(en)}
                        </p>
                    )}
                    <Field label={t('templates.variant_x')} id="tpl-x" error={fieldError(err, 'variants.x') ?? fieldError(err, 'variants')}>
                        <textarea id="tpl-x" dir="auto" rows={2} value={x} onInput={(e) => setX(e.currentTarget.value)} />
                    </Field>
                    <Field label={t('templates.variant_sms')} id="tpl-sms" error={fieldError(err, 'variants.sms')}>
                        <textarea id="tpl-sms" dir="auto" rows={2} value={sms} onInput={(e) => setSms(e.currentTarget.value)} />
                    </Field>
                </>
            )}
        </EditDialog>
    );
}

export function TemplatesSettings({ user }: { user: SessionUser }) {
    const { items, err, reload } = useList<Template>('/api/v1/templates', false);
    const ed = useEditor<Template>(reload, () => void reloadTemplates());
    const done = () => {
        void reload();
        void reloadTemplates();
    };
    return (
        <div>
            <SectionHead title={t('settings.templates')} action={t('templates.new')} onAction={() => ed.edit('new')} />
            <ListState items={items} err={err} />
            {items && items.length > 0 && (
                <ListTable
                    id="templates-table"
                    items={items}
                    heads={[t('settings.code'), t('templates.title'), t('templates.state'), t('templates.uses')]}
                    cells={(x) => (
                        <>
                            <td dir="ltr">{x.code}</td>
                            <td dir="auto">{x.title}</td>
                            <td>
                                <span class={`badge tpl-${x.state}`}>{t(`templates.state.${x.state}`)}</span>
                            </td>
                            <td class="num">{x.uses}</td>
                        </>
                    )}
                    actions={(x) => (
                        <>
                            <EditButton onClick={() => ed.edit(x)} />
                            {isLead(user) && x.state === 'draft' && (
                                <button type="button" class="btn small primary" onClick={() => void act(() => api.post(`/api/v1/templates/${encodeURIComponent(x.code)}/approve`), done, t('templates.approved'))}>
                                    {t('templates.approve')}
                                </button>
                            )}
                            {x.state !== 'retired' && (
                                <button type="button" class="btn small" onClick={() => void act(() => api.patch(`/api/v1/templates/${encodeURIComponent(x.code)}`, { state: 'retired' }), done)}>
                                    {t('templates.retire')}
                                </button>
                            )}
                        </>
                    )}
                />
            )}
            {ed.editing && <TemplateDialog tpl={ed.target} {...ed.dialog} />}
        </div>
    );
}
