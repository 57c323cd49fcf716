// main.tsx — start: language, session, then the app.
import { render } from 'preact';
import { App } from './app';
import { loadLang } from './lib/i18n';
import { loadSession } from './lib/session';
import './styles/base.css';
import './styles/layout.css';
import './styles/inbox.css';
import './styles/conversation.css';
import './styles/screens.css';

loadLang(null);
render(<App />, document.getElementById('app')!);
void loadSession();
