// CustomerPanel — who the customer is, masked (national id, CR number, phones, emails, X
// handle). "Reveal" asks why, and the server records that reason in the audit log; the revealed
// data hides itself again after two minutes. Below: the customer's other conversations.
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { Conversation, Customer } from '../../api/types';
import { StatusBadge } from '../../components/Badges';
import { ChannelIcon } from '../../components/ChannelIcon';
import { Dialog } from '../../components/Dialog';
import { Field, FormError, fieldError } from '../../components/Field';
import { When } from '../../components/When';
import { t } from '../../lib/i18n';
import { BASE, linkClick } from '../../lib/router';
import { customerConversations } from './customerConversations';

const REVEAL_MS = 120_000;

function Identity({ label, values, id }: { label: string; values: (string | null | undefined)[]; id: string }) {
    const list = values.filter((v): v is string => !!v);
    if (!list.length) return null;
    return (
        <div class="identity" data-identity={id}>
            <dt>{label}</dt>
            {list.map((v) => (
                <dd key={v}>
                    <bdi dir="ltr">{v}</bdi>
                </dd>
            ))}
        </div>
    );
}

function RevealDialog({ customerId, onClose, onRevealed }: { customerId: number; onClose: () => void; onRevealed: (c: Customer) => void }) {
    const [reason, setReason] = useState('');
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState<unknown>(null);
    const submit = async () => {
        setBusy(true);
        setErr(null);
        try {
            onRevealed(await api.get<Customer>(`/api/v1/customers/${customerId}${qs({ reveal: 1, reason: reason.trim() })}`));
        } catch (e) {
            setErr(e);
        } finally {
            setBusy(false);
        }
    };
    return (
        <Dialog id="reveal-dialog" title={t('customer.reveal_title')} onClose={onClose} onSubmit={() => void submit()} submitLabel={t('customer.reveal')} busy={busy}>
            <p class="hint">{t('customer.reveal_explain')}</p>
            <Field label={t('customer.reveal_reason')} id="reveal-reason" error={fieldError(err, 'reason')}>
                <input id="reveal-reason" dir="auto" value={reason} onInput={(e) => setReason(e.currentTarget.value)} required />
            </Field>
            <FormError err={err} fields={['reason']} />
        </Dialog>
    );
}

export function CustomerPanel({ conv, canReveal }: { conv: Conversation; canReveal: boolean }) {
    const masked = conv.customer;
    const [revealed, setRevealed] = useState<Customer | null>(null);
    const [asking, setAsking] = useState(false);
    const [others, setOthers] = useState<Conversation[] | null>(null);

    useEffect(() => {
        if (!revealed) return;
        const timer = window.setTimeout(() => setRevealed(null), REVEAL_MS);
        return () => window.clearTimeout(timer);
    }, [revealed]);
    useEffect(() => {
        setOthers(null);
        if (canReveal) customerConversations(conv).then(setOthers, () => setOthers([]));
    }, [conv.id, conv.customer_id]);

    if (!masked) return <aside class="customer-panel" aria-label={t('customer.label')} />;
    const c = revealed ?? masked;
    return (
        <aside class="customer-panel" aria-labelledby="customer-name">
            <h3 id="customer-name" class="customer-name">
                <bdi>{c.name || t('customer.unnamed')}</bdi>
                {c.verified && <span class="badge verified">{t('customer.verified')}</span>}
            </h3>
            <dl class={`identities ${c.masked ? 'masked' : 'revealed'}`}>
                <Identity id="national_id" label={t('customer.national_id')} values={[c.national_id]} />
                <Identity id="cr_number" label={t('customer.cr_number')} values={[c.cr_number]} />
                <Identity id="phones" label={t('customer.phones')} values={c.phones} />
                <Identity id="emails" label={t('customer.emails')} values={c.emails} />
                <Identity id="x_handle" label={t('customer.x_handle')} values={[c.x_handle]} />
            </dl>
            {canReveal &&
                (revealed ? (
                    <button type="button" class="btn" onClick={() => setRevealed(null)} id="btn-hide">
                        {t('customer.hide')}
                    </button>
                ) : (
                    <button type="button" class="btn" onClick={() => setAsking(true)} id="btn-reveal">
                        {t('customer.reveal')}
                    </button>
                ))}
            {revealed && <p class="hint">{t('customer.revealed_note')}</p>}
            {canReveal && (
                <section class="other-convs" aria-labelledby="other-convs-title">
                    <h4 id="other-convs-title">{t('customer.other_conversations')}</h4>
                    {others === null && <p class="hint">{t('state.loading')}</p>}
                    {others?.length === 0 && <p class="hint">{t('customer.no_other')}</p>}
                    <ul>
                        {others?.slice(0, 20).map((o) => (
                            <li key={o.id}>
                                <a href={`${BASE}/inbox/${o.id}`} onClick={linkClick(`/inbox/${o.id}`)}>
                                    <ChannelIcon channel={o.channel} size={14} />
                                    <bdi dir="ltr">{o.number}</bdi> <StatusBadge status={o.status} />
                                    <span class="other-subject" dir="auto">
                                        {o.subject}
                                    </span>
                                    <When iso={o.created_at} />
                                </a>
                            </li>
                        ))}
                    </ul>
                </section>
            )}
            {asking && (
                <RevealDialog
                    customerId={c.id}
                    onClose={() => setAsking(false)}
                    onRevealed={(x) => {
                        setAsking(false);
                        setRevealed(x);
                    }}
                />
            )}
        </aside>
    );
}
