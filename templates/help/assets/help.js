// help.js — type-ahead for the help center's search box: up to five article suggestions from
// GET /api/v1/kb/suggest as the visitor types. An enhancement only: without it (or without
// JavaScript) the form submits to the server-rendered results page. Titles are set with
// textContent, never as HTML.
(function () {
  'use strict';
  var form = document.querySelector('form[data-suggest]');
  if (!form || !window.fetch) return;
  var input = form.querySelector('input[name="q"]');
  var list = document.createElement('ul');
  list.id = 'q-suggestions';
  list.className = 'suggestions';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', input.getAttribute('data-suggestions-label') || '');
  list.hidden = true;
  input.parentNode.appendChild(list);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', list.id);
  input.setAttribute('aria-expanded', 'false');
  var timer = 0, seq = 0, active = -1;

  function close() {
    list.hidden = true;
    list.textContent = '';
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  // searchId: the suggestion's search_id, carried to the article (?s=) so the click is counted.
  function show(results, searchId) {
    list.textContent = '';
    results.forEach(function (r, i) {
      var li = document.createElement('li');
      li.id = 'q-suggestion-' + i;
      li.setAttribute('role', 'option');
      var a = document.createElement('a');
      a.href = r.url + (searchId ? '?s=' + encodeURIComponent(searchId) : '');
      a.textContent = r.title;
      if (r.lang) a.lang = r.lang;
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
    input.setAttribute('aria-expanded', results.length ? 'true' : 'false');
  }

  function select(i) {
    var items = list.children;
    if (!items.length) return;
    active = (i + items.length) % items.length;
    for (var k = 0; k < items.length; k++) items[k].setAttribute('aria-selected', k === active ? 'true' : 'false');
    input.setAttribute('aria-activedescendant', items[active].id);
  }

  input.addEventListener('input', function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      var mine = ++seq;
      var url = form.getAttribute('data-suggest') + '?source=help&lang=' +
        encodeURIComponent(form.getAttribute('data-lang')) + '&q=' + encodeURIComponent(q);
      fetch(url, { credentials: 'omit' }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) { if (mine === seq) show(body.results || [], body.search_id); })
        .catch(close);
    }, 150);
  });

  input.addEventListener('keydown', function (ev) {
    if (list.hidden) return;
    if (ev.key === 'ArrowDown') { select(active + 1); ev.preventDefault(); }
    else if (ev.key === 'ArrowUp') { select(active - 1); ev.preventDefault(); }
    else if (ev.key === 'Escape') { close(); }
    else if (ev.key === 'Enter' && active >= 0) {
      window.location.href = list.children[active].firstChild.href;
      ev.preventDefault();
    }
  });

  document.addEventListener('click', function (ev) {
    if (!form.contains(ev.target)) close();
  });
})();
