// Site search with Pagefind's index (built with the site, served by it).
// Without JavaScript the page shows a link to the site map instead.
(function () {
  "use strict";

  var form = document.querySelector("form[data-pagefind]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var noJs = document.querySelector(".search-no-js");
  var pagefind = null;

  if (noJs) noJs.hidden = true;

  function message(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function load() {
    if (!pagefind) {
      // Pagefind picks the index of the page's own language (<html lang>).
      pagefind = import(form.dataset.pagefind).then(function (module) {
        return module.options({ baseUrl: form.dataset.pagefindBase })
          .then(function () { return module; });
      });
    }
    return pagefind;
  }

  function show(query, results) {
    list.replaceChildren();
    results.forEach(function (result) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = result.url;
      link.textContent = (result.meta && result.meta.title) || result.url;
      var heading = document.createElement("h2");
      heading.className = "search-results__title";
      heading.appendChild(link);
      var excerpt = document.createElement("p");
      // Pagefind's excerpt is text from our own pages, with <mark> around matches.
      excerpt.innerHTML = result.excerpt;
      item.append(heading, excerpt);
      list.appendChild(item);
    });
    var template = results.length ? status.dataset.some : status.dataset.none;
    status.textContent = message(template, { query: query, count: results.length });
  }

  function search(query) {
    query = query.trim();
    if (!query) {
      status.textContent = "";
      list.replaceChildren();
      return;
    }
    status.textContent = status.dataset.searching;
    load()
      .then(function (module) { return module.search(query); })
      .then(function (found) {
        return Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); }));
      })
      .then(function (results) { show(query, results); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    window.history.replaceState(null, "", url);
    search(input.value);
  });

  var initial = new URL(window.location.href).searchParams.get("q");
  if (initial) {
    input.value = initial;
    search(initial);
  }
})();
