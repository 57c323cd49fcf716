// i18n.ts — the two languages of the app. Every visible string comes from locales/ar.json or
// locales/en.json (flat keys; plurals as KEY.zero|one|two|few|many|other chosen by
// Intl.PluralRules). Arabic is the default; the choice is remembered per user in localStorage.
import ar from '../locales/ar.json';
import en from '../locales/en.json';
import { Store, useStore } from './store';

export type Lang = 'ar' | 'en';
type Dict = Record<string, string>;

const dicts: Record<Lang, Dict> = { ar, en };
export const lang = new Store<Lang>('ar');

const plurals: Record<Lang, Intl.PluralRules> = {
    ar: new Intl.PluralRules('ar'),
    en: new Intl.PluralRules('en'),
};

function storageKey(userId: number | null): string {
    return userId ? `sanad.lang.${userId}` : 'sanad.lang';
}

function readLang(key: string): Lang | null {
    try {
        const v = localStorage.getItem(key);
        return v === 'ar' || v === 'en' ? v : null;
    } catch {
        return null;
    }
}

/* The language for this user: the one the server remembers for them, else the one last used on
 * this browser (before sign-in too). */
export function loadLang(userId: number | null, remembered?: Lang): void {
    applyLang(remembered ?? readLang(storageKey(userId)) ?? readLang(storageKey(null)) ?? 'ar');
}

export function setLang(l: Lang, userId: number | null): void {
    try {
        localStorage.setItem(storageKey(userId), l);
        localStorage.setItem(storageKey(null), l);
    } catch {
        // private mode: the choice lasts for this page only
    }
    applyLang(l);
}

function applyLang(l: Lang): void {
    const root = document.documentElement;
    root.lang = l;
    root.dir = l === 'ar' ? 'rtl' : 'ltr';
    document.title = dicts[l]['app.name'];
    lang.set(l);
}

export type Params = Record<string, string | number>;

function fill(s: string, params?: Params): string {
    if (!params) return s;
    return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/* Translate `key`; with params.count a plural form is picked. Missing keys show the key. */
export function t(key: string, params?: Params): string {
    const l = lang.get();
    const d = dicts[l];
    if (params && typeof params.count === 'number') {
        const form = d[`${key}.${plurals[l].select(params.count)}`] ?? d[`${key}.other`];
        if (form !== undefined) return fill(form, { ...params, count: formatNumber(params.count) });
    }
    const s = d[key] ?? dicts.en[key];
    return s === undefined ? key : fill(s, params);
}

/* Translate when the key exists, else return the fallback (server values without a key). */
export function tOr(key: string, fallback: string): string {
    const d = dicts[lang.get()];
    return d[key] ?? fallback;
}

const numberFormats: Partial<Record<Lang, Intl.NumberFormat>> = {};

export function formatNumber(n: number): string {
    const l = lang.get();
    const f = (numberFormats[l] ??= new Intl.NumberFormat(l === 'ar' ? 'ar-SA-u-nu-latn' : 'en-GB'));
    return f.format(n);
}

/* "a, b and c" / "أ وب وج" in the current language. */
const listFormats: Partial<Record<Lang, Intl.ListFormat>> = {};

export function formatList(items: string[]): string {
    const l = lang.get();
    const f = (listFormats[l] ??= new Intl.ListFormat(l === 'ar' ? 'ar' : 'en-GB', { type: 'unit', style: 'short' }));
    return f.format(items);
}

/* Re-render on language change; returns the current language. */
export function useLang(): Lang {
    return useStore(lang);
}

/* Name of an organisation unit in the current language. */
export function unitName(u: { name_ar: string; name_en: string; code: string } | undefined, code = ''): string {
    if (!u) return code;
    return (lang.get() === 'ar' ? u.name_ar : u.name_en) || u.code;
}
