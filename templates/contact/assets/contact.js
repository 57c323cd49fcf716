// contact.js — help-article suggestions while the citizen types the subject of the contact form
// (a module: it runs after the page is parsed). Progressive enhancement only: without it the form
// works the same. Suggestions come from GET /api/v1/kb/suggest with source=contact_form and the
// form's kb_session, so the knowledge base can tell whether an opened suggestion answered the
// question (no form sent: deflected). Each link carries ?s=SEARCH_ID, which the article page
// records as the opening. Titles are set with textContent, never as HTML.
const form = document.querySelector('form[data-suggest]');
const box = document.getElementById('suggestions');
const subject = form && form.querySelector('input[name="subject"]');
if (form && box && subject && window.fetch) {
  const list = box.querySelector('ul');
  const lang = form.getAttribute('data-lang') || 'ar';
  const session = form.getAttribute('data-session') || '';
  let timer = 0;
  let seq = 0;

  const hide = () => {
    box.hidden = true;
    list.textContent = '';
  };

  const show = (results, searchId) => {
    list.textContent = '';
    for (const r of results) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = r.url + (searchId ? '?s=' + encodeURIComponent(searchId) : '');
      a.target = '_blank';
      a.rel = 'noopener';
      a.textContent = r.title;
      if (r.lang) a.lang = r.lang;
      li.appendChild(a);
      list.appendChild(li);
    }
    box.hidden = results.length === 0;
  };

  const ask = async (q) => {
    const mine = ++seq;
    const url = form.getAttribute('data-suggest') + '?source=contact_form&lang=' +
      encodeURIComponent(lang) + '&session=' + encodeURIComponent(session) +
      '&q=' + encodeURIComponent(q);
    try {
      const r = await fetch(url, { credentials: 'omit', headers: { Accept: 'application/json' } });
      const body = r.ok ? await r.json() : { results: [] };
      if (mine === seq) show(body.results || [], body.search_id);
    } catch {
      if (mine === seq) hide();
    }
  };

  subject.addEventListener('input', () => {
    clearTimeout(timer);
    const q = subject.value.trim();
    if (q.length < 3) {
      seq++;
      hide();
      return;
    }
    timer = setTimeout(() => ask(q), 250);
  });
  if (subject.value.trim().length >= 3) ask(subject.value.trim());
}
