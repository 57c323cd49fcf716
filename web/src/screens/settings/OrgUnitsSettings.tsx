// OrgUnitsSettings — service lines or departments: code and the Arabic and English names.
import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { OrgUnit } from '../../api/types';
import { Field, fieldError } from '../../components/Field';
import { t } from '../../lib/i18n';
import { loadRefData } from '../../lib/refdata';
import { currentUser } from '../../lib/session';
import { EditButton, EditDialog, ListState, ListTable, SectionHead, useEditor, useList } from './kit';

type Kind = 'service-lines' | 'departments';

function UnitDialog({ kind, unit, onClose, onSaved }: { kind: Kind; unit: OrgUnit | null; onClose: () => void; onSaved: () => void }) {
    const [code, setCode] = useState(unit?.code ?? '');
    const [nameAr, setNameAr] = useState(unit?.name_ar ?? '');
    const [nameEn, setNameEn] = useState(unit?.name_en ?? '');
    const save = () =>
        unit ? api.patch(`/api/v1/${kind}/${encodeURIComponent(unit.code)}`, { name_ar: nameAr, name_en: nameEn }) : api.post(`/api/v1/${kind}`, { code, name_ar: nameAr, name_en: nameEn });
    return (
        <EditDialog id="unit-dialog" title={unit ? t('settings.edit_item', { name: unit.code }) : t(`settings.${kind}.new`)} save={save} onClose={onClose} onSaved={onSaved} fields={['code', 'name_ar', 'name_en']}>
            {(err) => (
                <>
                    {!unit && (
                        <Field label={t('settings.code')} id="unit-code" error={fieldError(err, 'code')} hint={t('settings.code_hint')}>
                            <input id="unit-code" dir="ltr" value={code} onInput={(e) => setCode(e.currentTarget.value)} required />
                        </Field>
                    )}
                    <Field label={t('settings.name_ar')} id="unit-ar" error={fieldError(err, 'name_ar')}>
                        <input id="unit-ar" dir="rtl" lang="ar" value={nameAr} onInput={(e) => setNameAr(e.currentTarget.value)} required />
                    </Field>
                    <Field label={t('settings.name_en')} id="unit-en" error={fieldError(err, 'name_en')}>
                        <input id="unit-en" dir="ltr" lang="en" value={nameEn} onInput={(e) => setNameEn(e.currentTarget.value)} required />
                    </Field>
                </>
            )}
        </EditDialog>
    );
}

export function OrgUnitsSettings({ kind }: { kind: Kind }) {
    const { items, err, reload } = useList<OrgUnit>(`/api/v1/${kind}`);
    const ed = useEditor<OrgUnit>(reload, () => {
        const me = currentUser();
        if (me) void loadRefData(me);
    });
    return (
        <div>
            <SectionHead title={t(`settings.${kind}`)} action={t(`settings.${kind}.new`)} onAction={() => ed.edit('new')} />
            <ListState items={items} err={err} />
            {items && items.length > 0 && (
                <ListTable
                    items={items}
                    heads={[t('settings.code'), t('settings.name_ar'), t('settings.name_en')]}
                    cells={(u) => (
                        <>
                            <td dir="ltr">{u.code}</td>
                            <td lang="ar" dir="rtl">
                                {u.name_ar}
                            </td>
                            <td lang="en" dir="ltr">
                                {u.name_en}
                            </td>
                        </>
                    )}
                    actions={(u) => <EditButton onClick={() => ed.edit(u)} />}
                />
            )}
            {ed.editing && <UnitDialog kind={kind} unit={ed.target} {...ed.dialog} />}
        </div>
    );
}
