// seed.mjs — made-up but realistic contacts for the browser tests and the README screenshots:
// Arabic and English names, valid Saudi national IDs (Luhn check digit), all five channels,
// subjects that mix Arabic, English and numbers.

const FIRST = ['محمد', 'عبدالله', 'فهد', 'سارة', 'نورة', 'خالد', 'ريم', 'سلطان', 'هند', 'ماجد', 'لطيفة', 'تركي'];
const LAST = ['العتيبي', 'القحطاني', 'الشمري', 'الدوسري', 'الحربي', 'الزهراني', 'الغامدي', 'المطيري', 'السبيعي', 'العنزي'];
const SUBJECTS = [
    ['exemptions', 'طلب إعفاء رقم 2024-{n} for VAT'],
    ['expropriation', 'استفسار عن تعويض نزع ملكية العقار رقم {n}'],
    ['etimad', 'مشكلة في الدخول إلى منصة اعتماد Etimad'],
    ['annual_returns', 'تأخر إقرار العوائد السنوية لعام 1445 هـ'],
    ['payment_refund', 'استرداد مبلغ 1,250.50 ريال — Refund #{n}'],
    ['exemptions', 'Follow-up on exemption request {n}'],
];
const BODIES = [
    'السلام عليكم، أرغب في متابعة طلبي رقم {n} المقدم عبر البوابة.',
    'Hello, I submitted request {n} two weeks ago and have had no answer.',
    'تم خصم المبلغ مرتين من بطاقتي، أرجو الاسترداد. Reference: RF-{n}',
    'أحتاج إلى موعد لمراجعة الإدارة بخصوص الملف {n}.',
];
export const CHANNELS = ['phone', 'email', 'x', 'form', 'chat'];

/* A valid Saudi national ID (starts with 1, Luhn over 10 digits) derived from n. */
export function nationalId(n) {
    const body = `1${String(100000000 + (n * 7919) % 899999999).slice(0, 8)}`;
    for (let c = 0; c < 10; c++) {
        const d = `${body}${c}`;
        let sum = 0;
        for (let i = 0; i < 10; i++) {
            let v = Number(d[9 - i]);
            if (i % 2 === 1) {
                v *= 2;
                if (v > 9) v -= 9;
            }
            sum += v;
        }
        if (sum % 10 === 0) return d;
    }
    throw new Error('unreachable');
}

function fill(s, n) {
    return s.replaceAll('{n}', String(n));
}

/* The body of POST /api/v1/contacts for the n-th made-up contact. */
export function contactBody(n, { channel, serviceLine, subject, body, name } = {}) {
    const [line, subj] = SUBJECTS[n % SUBJECTS.length];
    const ch = channel ?? CHANNELS[n % CHANNELS.length];
    const who = name ?? `${FIRST[n % FIRST.length]} ${LAST[(n * 7) % LAST.length]}`;
    const phone = `+9665${String(10000000 + ((n * 104729) % 89999999)).padStart(8, '0')}`;
    const customer = { name: who, national_id: nationalId(n + 1) };
    if (ch === 'email' || ch === 'form') customer.emails = [`citizen${n}@example.sa`];
    else if (ch === 'x') customer.x_handle = `@citizen_${n}`;
    else customer.phones = [phone];
    return {
        channel: ch,
        customer,
        service_line: serviceLine ?? line,
        subject: subject ?? fill(subj, 1000 + n),
        body: body ?? fill(BODIES[n % BODIES.length], 1000 + n),
    };
}

/* POST many contacts with `concurrency` requests in flight; returns the results in order. */
export async function seedContacts(client, count, { start = 0, concurrency = 16, ...opts } = {}) {
    const out = new Array(count);
    let next = 0;
    const worker = async () => {
        while (next < count) {
            const i = next++;
            const r = await client.post('/api/v1/contacts', contactBody(start + i, opts));
            if (r.status !== 201 && r.status !== 200) throw new Error(`contact ${start + i}: ${r.status} ${r.text}`);
            out[i] = r.json;
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return out;
}

export const SERVICE_LINES = [
    { code: 'expropriation', name_ar: 'نزع الملكيات', name_en: 'Expropriation' },
    { code: 'exemptions', name_ar: 'متابعة الإعفاءات', name_en: 'Exemptions follow-up' },
    { code: 'etimad', name_ar: 'منصة اعتماد', name_en: 'Etimad platform' },
    { code: 'annual_returns', name_ar: 'العوائد السنوية', name_en: 'Annual returns' },
    { code: 'payment_refund', name_ar: 'استرداد رصيد المدفوعات', name_en: 'Payment balance refund' },
];
export const DEPARTMENTS = [
    { code: 'finance', name_ar: 'الإدارة المالية', name_en: 'Finance department' },
    { code: 'exemptions_dept', name_ar: 'إدارة الإعفاءات', name_en: 'Exemptions department' },
    { code: 'it_support', name_ar: 'الدعم التقني', name_en: 'IT support' },
];

/* Service lines, departments and one queue per service line, as an admin Client. */
export async function seedOrg(admin) {
    for (const s of SERVICE_LINES) {
        const r = await admin.post('/api/v1/service-lines', s);
        if (r.status !== 201 && r.status !== 409) throw new Error(`service line ${s.code}: ${r.status} ${r.text}`);
    }
    for (const d of DEPARTMENTS) {
        const r = await admin.post('/api/v1/departments', d);
        if (r.status !== 201 && r.status !== 409) throw new Error(`department ${d.code}: ${r.status} ${r.text}`);
    }
    for (const s of SERVICE_LINES) {
        await admin.post('/api/v1/queues', { service_line: s.code, channel: '', policy: 'manual' });
    }
}
