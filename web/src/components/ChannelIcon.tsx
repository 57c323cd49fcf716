// ChannelIcon — one small icon per channel (phone, email, X, form, chat), labelled for readers.
import { t } from '../lib/i18n';

const paths: Record<string, string> = {
    phone: 'M6.6 10.8a15.2 15.2 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z',
    email: 'M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2.2V17h16V7.2l-8 5.3zM5.2 7 12 11.5 18.8 7z',
    x: 'M4 3h4.6l4 5.6L17.4 3H20l-6.2 7.2L21 21h-4.6l-4.4-6.1L6.6 21H4l6.8-7.9z',
    form: 'M6 2h9l5 5v14a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm8 1.5V8h4.5zM8 12h8v1.6H8zm0 4h8v1.6H8zm0-8h4v1.6H8z',
    chat: 'M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1zm3 5.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z',
};

export function ChannelIcon({ channel, size = 18 }: { channel: string; size?: number }) {
    const label = t(`channel.${channel}`);
    return (
        <span class={`channel-icon ch-${channel}`} role="img" aria-label={label} title={label}>
            <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true" focusable="false">
                <path d={paths[channel] ?? paths.form} fill="currentColor" />
            </svg>
        </span>
    );
}
