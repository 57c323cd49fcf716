// UsersSettings — users and their roles, departments (for department staff), skills (service
// lines an agent is routed), capacity; create, edit, disable, reset a password.
import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { ROLES, type Role, type User } from '../../api/types';
import { Field, fieldError } from '../../components/Field';
import { formatList, t, unitName } from '../../lib/i18n';
import { refdata } from '../../lib/refdata';
import { useStore } from '../../lib/store';
import { EditButton, EditDialog, ListState, ListTable, SectionHead, useEditor, useList } from './kit';

function UserDialog({ user, onClose, onSaved }: { user: User | null; onClose: () => void; onSaved: () => void }) {
    const rd = useStore(refdata);
    const [email, setEmail] = useState(user?.email ?? '');
    const [name, setName] = useState(user?.name ?? '');
    const [password, setPassword] = useState('');
    const [roles, setRoles] = useState<Role[]>(user?.roles ?? ['agent']);
    const [departments, setDepartments] = useState<string[]>(user?.departments ?? []);
    const [skills, setSkills] = useState<string[]>(user?.skills ?? []);
    const [capacity, setCapacity] = useState(String(user?.capacity ?? 20));
    const [disabled, setDisabled] = useState(user?.disabled ?? false);
    const toggle = <T,>(list: T[], v: T, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));
    const save = () => {
        const body: Record<string, unknown> = { name, roles, departments, skills, capacity: Number(capacity), disabled };
        if (password) body.password = password;
        if (!user) return api.post('/api/v1/users', { ...body, email, password });
        return api.patch(`/api/v1/users/${user.id}`, body);
    };
    return (
        <EditDialog id="user-dialog" title={user ? t('users.edit', { name: user.name }) : t('users.new')} save={save} onClose={onClose} onSaved={onSaved} fields={['email', 'name', 'password', 'roles', 'departments', 'skills', 'capacity']}>
            {(err) => (
                <>
                    {!user && (
                        <Field label={t('users.email')} id="u-email" error={fieldError(err, 'email')}>
                            <input id="u-email" type="email" dir="ltr" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required />
                        </Field>
                    )}
                    <Field label={t('users.name')} id="u-name" error={fieldError(err, 'name')}>
                        <input id="u-name" dir="auto" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
                    </Field>
                    <Field label={user ? t('users.new_password') : t('users.password')} id="u-password" error={fieldError(err, 'password')} hint={t('users.password_hint')}>
                        <input id="u-password" type="password" dir="ltr" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
                    </Field>
                    <fieldset class="checks">
                        <legend>{t('users.roles')}</legend>
                        {ROLES.map((r) => (
                            <label key={r}>
                                <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles(toggle(roles, r, e.currentTarget.checked))} />
                                {t(`role.${r}`)}
                            </label>
                        ))}
                        {fieldError(err, 'roles') && <p class="field-error">{fieldError(err, 'roles')}</p>}
                    </fieldset>
                    <fieldset class="checks">
                        <legend>{t('users.departments')}</legend>
                        {rd.departments.map((d) => (
                            <label key={d.code}>
                                <input type="checkbox" checked={departments.includes(d.code)} onChange={(e) => setDepartments(toggle(departments, d.code, e.currentTarget.checked))} />
                                {unitName(d)}
                            </label>
                        ))}
                        {fieldError(err, 'departments') && <p class="field-error">{fieldError(err, 'departments')}</p>}
                    </fieldset>
                    <fieldset class="checks">
                        <legend>{t('users.skills')}</legend>
                        {rd.serviceLines.map((d) => (
                            <label key={d.code}>
                                <input type="checkbox" checked={skills.includes(d.code)} onChange={(e) => setSkills(toggle(skills, d.code, e.currentTarget.checked))} />
                                {unitName(d)}
                            </label>
                        ))}
                        {fieldError(err, 'skills') && <p class="field-error">{fieldError(err, 'skills')}</p>}
                    </fieldset>
                    <Field label={t('users.capacity')} id="u-capacity" error={fieldError(err, 'capacity')}>
                        <input id="u-capacity" type="number" min={1} max={500} dir="ltr" value={capacity} onInput={(e) => setCapacity(e.currentTarget.value)} />
                    </Field>
                    <label class="check">
                        <input type="checkbox" checked={disabled} onChange={(e) => setDisabled(e.currentTarget.checked)} />
                        {t('users.disabled')}
                    </label>
                </>
            )}
        </EditDialog>
    );
}

export function UsersSettings() {
    const { items, err, reload } = useList<User>('/api/v1/users');
    const ed = useEditor<User>(reload);
    return (
        <div>
            <SectionHead title={t('settings.users')} action={t('users.new')} onAction={() => ed.edit('new')} />
            <ListState items={items} err={err} />
            {items && items.length > 0 && (
                <ListTable
                    id="users-table"
                    items={items}
                    heads={[t('users.name'), t('users.email'), t('users.roles'), t('availability.label'), t('users.capacity')]}
                    muted={(u) => u.disabled}
                    cells={(u) => (
                        <>
                            <td>
                                <bdi>{u.name}</bdi>
                                {u.disabled && <span class="badge">{t('users.disabled')}</span>}
                            </td>
                            <td dir="ltr">{u.email}</td>
                            <td>{formatList(u.roles.map((r) => t(`role.${r}`)))}</td>
                            <td>{t(`availability.${u.availability}`)}</td>
                            <td class="num">{u.capacity}</td>
                        </>
                    )}
                    actions={(u) => <EditButton onClick={() => ed.edit(u)} />}
                />
            )}
            {ed.editing && <UserDialog user={ed.target} {...ed.dialog} />}
        </div>
    );
}
