/* demo.c — the demo organisation (used by `sanad demo` and `make run`). */
#include "demo.h"

#include "conversation.h"
#include "membership.h"
#include "org.h"
#include "routing.h"
#include "template.h"
#include "user.h"
#include "../core/clock.h"
#include "../core/crypto.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const struct {
    enum org_kind kind;
    const char *code, *ar, *en;
} demo_org[] = {
    {ORG_SERVICE_LINE, "expropriation", "نزع الملكيات", "Expropriation"},
    {ORG_SERVICE_LINE, "exemptions", "متابعة الإعفاءات", "Exemptions follow-up"},
    {ORG_SERVICE_LINE, "etimad", "منصة اعتماد", "Etimad platform"},
    {ORG_SERVICE_LINE, "annual_returns", "العوائد السنوية", "Annual returns"},
    {ORG_SERVICE_LINE, "payment_refund", "استرداد رصيد المدفوعات", "Payment balance refund"},
    {ORG_DEPARTMENT, "expropriation_dept", "إدارة نزع الملكيات", "Expropriation department"},
    {ORG_DEPARTMENT, "exemptions_dept", "إدارة الإعفاءات", "Exemptions department"},
    {ORG_DEPARTMENT, "finance", "الإدارة المالية", "Finance department"},
    {ORG_DEPARTMENT, "it_support", "الدعم التقني", "IT support"},
    {ORG_ENTITY, "passports", "المديرية العامة للجوازات", "General Directorate of Passports"},
    {ORG_ENTITY, "mofa", "وزارة الخارجية", "Ministry of Foreign Affairs"},
    {ORG_ENTITY, "nic", "مركز المعلومات الوطني", "National Information Center"},
    {ORG_ENTITY, "musaned", "مساند", "Musaned"},
    {ORG_ENTITY, "absher", "أبشر", "Absher"},
    {ORG_ENTITY, "sama", "البنك المركزي السعودي", "Saudi Central Bank"},
    {ORG_ENTITY, "ndf", "صندوق التنمية الوطني", "National Development Fund"},
};

static const struct {
    const char *email, *name;
    unsigned roles;
} demo_users[] = {
    {"admin@sanad.demo", "مدير النظام", ROLE_ADMIN},
    {"supervisor@sanad.demo", "سارة المشرفة", ROLE_SUPERVISOR},
    {"agent@sanad.demo", "أحمد الموظف", ROLE_AGENT},
    {"staff@sanad.demo", "خالد من الإدارة", ROLE_DEPARTMENT_STAFF},
    {"owner@sanad.demo", "نورة مالكة الخدمة", ROLE_SERVICE_OWNER},
    {"qa@sanad.demo", "فهد مقيّم الجودة", ROLE_QA_EVALUATOR},
};

/* Approved reply templates, the unified texts of every channel. */
static const struct {
    const char *code, *title, *ar, *en, *x;
} demo_templates[] = {
    {"after_hours", "رد خارج أوقات العمل",
     "شكراً لتواصلك مع مركز الخدمة الموحد. ساعات العمل من 8 صباحاً إلى 8 مساءً يومياً، "
     "وسنرد على طلبك رقم {{conversation.number}} في أقرب وقت.",
     "Thank you for contacting the unified service center. We work 8 am to 8 pm every day and "
     "will answer request {{conversation.number}} as soon as we open.",
     "شكراً لتواصلك، نعمل يومياً 8ص–8م وسنرد على طلبك {{conversation.number}} قريباً."},
    {"greeting", "ترحيب",
     "مرحباً {{customer.name}}، معك {{agent.name}} من مركز الخدمة الموحد. كيف أخدمك؟",
     "Hello {{customer.name}}, this is {{agent.name}} from the unified service center. How can I help?",
     NULL},
    {"refund_docs", "مسوغات الصرف",
     "عزيزنا {{customer.name}}، يمكنك رفع مسوغات الصرف إلكترونياً عبر بوابة الأفراد دون الحاجة "
     "لزيارة الوزارة. رقم طلبك {{conversation.number}}.",
     "Dear {{customer.name}}, you can upload the disbursement documents online on the individuals' "
     "portal without visiting the ministry. Your request number is {{conversation.number}}.",
     NULL},
};

/* A few conversations on every channel so the inbox has something to show. */
static const struct {
    const char *channel, *name, *phone, *email, *line, *subject, *body;
    int hours_ago;
} demo_contacts[] = {
    {"phone", "عبدالله القحطاني", "0551234567", NULL, "annual_returns", "موعد صرف العوائد السنوية",
     "متى موعد صرف العوائد السنوية لهذا العام؟", 3},
    {"email", "Sara Al-Harbi", NULL, "sara@example.com", "payment_refund", "استرداد رصيد المدفوعات",
     "I paid twice for the same service and would like the balance refunded.", 5},
    {"x", "@citizen_sa", NULL, NULL, "etimad", "تعذر الدخول إلى منصة اعتماد",
     "لا أستطيع الدخول إلى منصة اعتماد منذ أمس", 2},
    {"form", "نورة العتيبي", "0509876543", "noura@example.com", "exemptions", "متابعة طلب إعفاء",
     "قدمت طلب إعفاء قبل شهر ولم يصلني رد", 26},
    {"chat", "خالد الشمري", "0561112223", NULL, "expropriation", "تعويض نزع ملكية",
     "أرغب في معرفة حالة تعويض نزع الملكية لعقاري", 1},
    {"phone", "عبدالله القحطاني", "0551234567", NULL, "annual_returns", "موعد صرف العوائد السنوية",
     "اتصلت مرة أخرى بخصوص موعد الصرف", 1},
};

static int demo_templates_load(store *db, sn_err *e)
{
    for (size_t i = 0; i < sizeof demo_templates / sizeof demo_templates[0]; i++) {
        json_t *body = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{}}", "code", demo_templates[i].code,
                                 "title", demo_templates[i].title, "bodies", "ar",
                                 demo_templates[i].ar, "en", demo_templates[i].en, "variants");
        if (demo_templates[i].x)
            json_object_set_new(json_object_get(body, "variants"), "x", json_string(demo_templates[i].x));
        json_t *out = NULL;
        int rc = template_save(db, &actor_system, NULL, body, &out, e);
        json_decref(body);
        json_decref(out);
        if (rc == 0) rc = template_approve(db, &actor_system, demo_templates[i].code, &out, e);
        if (rc < 0) return rc;
        json_decref(out);
    }
    return 0;
}

static int demo_contacts_load(store *db, sn_err *e)
{
    for (size_t i = 0; i < sizeof demo_contacts / sizeof demo_contacts[0]; i++) {
        contact_input in = {0};
        in.channel = channel_parse(demo_contacts[i].channel);
        json_t *cust = json_pack("{s:s}", "name", demo_contacts[i].name);
        if (demo_contacts[i].phone)
            json_object_set_new(cust, "phones", json_pack("[s]", demo_contacts[i].phone));
        if (demo_contacts[i].email)
            json_object_set_new(cust, "emails", json_pack("[s]", demo_contacts[i].email));
        if (!strcmp(demo_contacts[i].channel, "x"))
            json_object_set_new(cust, "x_handle", json_string(demo_contacts[i].name));
        int rc = customer_input_parse(cust, &in.customer, e);
        json_decref(cust);
        if (rc < 0) return rc;
        in.service_line = demo_contacts[i].line;
        in.subject = demo_contacts[i].subject;
        in.body = demo_contacts[i].body;
        in.received_at = clock_now_ms() - (int64_t)demo_contacts[i].hours_ago * 3600000;
        contact_result r;
        if ((rc = contact_receive(db, &actor_system, &in, &r, e)) < 0) return rc;
    }
    return 0;
}

/* The agent handles every service line; the department user works in finance; each service
 * line is a round-robin queue. */
static int demo_routing_load(store *db, int64_t agent_id, int64_t staff_id, sn_err *e)
{
    json_t *skills = json_array(), *depts = json_pack("[s]", "finance");
    for (size_t i = 0; i < sizeof demo_org / sizeof demo_org[0]; i++) {
        if (demo_org[i].kind != ORG_SERVICE_LINE) continue;
        json_array_append_new(skills, json_string(demo_org[i].code));
        json_t *q = json_pack("{s:s, s:s}", "service_line", demo_org[i].code, "policy", "round_robin"), *out = NULL;
        int rc = queue_save(db, &actor_system, 0, q, &out, e);
        json_decref(q);
        json_decref(out);
        if (rc < 0) {
            json_decref(skills);
            json_decref(depts);
            return rc;
        }
    }
    int rc = store_begin_write(db);
    if (rc == 0) rc = membership_write(db, agent_id, NULL, skills, NULL);
    if (rc == 0) rc = membership_write(db, staff_id, depts, NULL, NULL);
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) store_rollback(db);
    json_decref(skills);
    json_decref(depts);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot set up routing") : 0;
}

int demo_load(store *db, demo_user_fn on_user, void *arg, sn_err *e)
{
    int64_t n, agent_id = 0, staff_id = 0;
    int rc = org_count(db, ORG_SERVICE_LINE, &n);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the organisation");
    if (n > 0) return sn_fail(e, SN_ECONFLICT, NULL, "an organisation is already loaded");
    for (size_t i = 0; i < sizeof demo_org / sizeof demo_org[0]; i++) {
        org_unit u;
        if ((rc = org_create(db, &actor_system, demo_org[i].kind, demo_org[i].code,
                             demo_org[i].ar, demo_org[i].en, &u, e)) < 0)
            return rc;
    }
    for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0]; i++) {
        char password[32];
        crypto_token(password, sizeof password, 12);
        user_input in = {.email = demo_users[i].email,
                         .name = demo_users[i].name,
                         .password = password,
                         .roles = demo_users[i].roles,
                         .has_roles = 1};
        user u;
        if ((rc = user_create(db, &actor_system, &in, &u, e)) < 0) return rc;
        if (demo_users[i].roles == ROLE_AGENT) agent_id = u.id;
        if (demo_users[i].roles == ROLE_DEPARTMENT_STAFF) staff_id = u.id;
        if (on_user) on_user(u.email, role_name(demo_users[i].roles), password, arg);
    }
    if ((rc = demo_templates_load(db, e)) < 0 || (rc = demo_routing_load(db, agent_id, staff_id, e)) < 0)
        return rc;
    return demo_contacts_load(db, e);
}
