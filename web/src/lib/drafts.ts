// drafts.ts — what an agent is typing survives a lost session, a reload or a crash: kept in
// localStorage per user and per place (conversation + reply/note, escalation reply, …).
function key(userId: number, place: string): string {
    return `sanad.draft.${userId}.${place}`;
}

export function loadDraft(userId: number, place: string): string {
    try {
        return localStorage.getItem(key(userId, place)) ?? '';
    } catch {
        return '';
    }
}

export function saveDraft(userId: number, place: string, text: string): void {
    try {
        if (text) localStorage.setItem(key(userId, place), text);
        else localStorage.removeItem(key(userId, place));
    } catch {
        // storage full or disabled: the draft lives only in the page
    }
}
