// template.ts — the client-side preview of a reply template: the placeholders the server fills
// ({{customer.name}}, {{conversation.number}}, {{conversation.subject}}, {{agent.name}}) filled
// the same way here, so the agent sees what the customer will get before sending. The server
// renders the real message (Mustache); this preview covers plain variables only.
import type { Template } from '../api/types';

export interface TemplateContext {
    customerName: string;
    conversationNumber: string;
    conversationSubject: string;
    agentName: string;
}

/* The text the server picks: the channel's variant, else the language's body, else Arabic. */
export function templateText(tpl: Template, lang: 'ar' | 'en', channel: string): string {
    return tpl.variants?.[channel] || tpl.bodies[lang] || tpl.bodies.ar || '';
}

export function fillTemplate(text: string, ctx: TemplateContext): string {
    const values: Record<string, string> = {
        'customer.name': ctx.customerName,
        'conversation.number': ctx.conversationNumber,
        'conversation.subject': ctx.conversationSubject,
        'agent.name': ctx.agentName,
    };
    return text.replace(/\{\{\{?\s*([\w.]+)\s*\}?\}\}/g, (_m, name: string) => values[name] ?? '');
}
