/* demo.c — the demo organisation (used by `sanad demo` and `make run`). */
#include "demo.h"

#include "org.h"
#include "user.h"
#include "../core/crypto.h"

#include <stdio.h>

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

int demo_load(store *db, demo_user_fn on_user, void *arg, sn_err *e)
{
    int64_t n;
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
        if (on_user) on_user(u.email, role_name(demo_users[i].roles), password, arg);
    }
    return 0;
}
