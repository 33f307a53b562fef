// The catalog's only script: search and filters on the index (through Pagefind's index, so it
// scales to thousands of commands), and copy buttons. Every page works without it.
// Text from commands is only ever put into the page with textContent, never as HTML.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var root = document.body.getAttribute("data-root") || "";
  var rootUrl = new URL(root, location.href);

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) { button.textContent = "Select the text to copy"; return; }
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
      }, function () {
        button.textContent = "Copy failed";
      }).finally(function () {
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });

  var form = document.getElementById("finder");
  if (!form) { return; }
  form.hidden = false;
  var input = document.getElementById("q");
  var status = document.getElementById("status");
  var listing = document.getElementById("listing");
  var results = document.getElementById("search-results");
  var moreWrap = document.getElementById("more-wrap");
  var more = document.getElementById("more");
  var PAGE = 30;
  var pagefind = null;
  var current = [];
  var shown = 0;
  var generation = 0;

  function load() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind/pagefind.js", rootUrl).href).then(function (pf) {
        return pf.options({ baseUrl: "/" }).then(function () { pf.init(); return pf; });
      });
    }
    return pagefind;
  }

  function selectedFilters() {
    var filters = {};
    var count = 0;
    form.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      (filters[box.name] = filters[box.name] || { any: [] }).any.push(box.value);
      count += 1;
    });
    return count ? filters : null;
  }

  // Pagefind stores the URLs we gave it (`commands/x/`), possibly behind a leading slash.
  function href(url) {
    return new URL(url.replace(/^\/+/, ""), rootUrl).href;
  }

  function card(data) {
    var li = document.createElement("li");
    li.className = "card";
    var h = document.createElement("h3");
    var a = document.createElement("a");
    a.href = href(data.url);
    a.textContent = (data.meta && data.meta.title) || data.url;
    h.appendChild(a);
    if (data.meta && data.meta.version) {
      var v = document.createElement("span");
      v.className = "version";
      v.textContent = " " + data.meta.version;
      h.appendChild(v);
    }
    li.appendChild(h);
    if (data.meta && data.meta.summary) {
      var p = document.createElement("p");
      p.className = "summary";
      p.textContent = data.meta.summary;
      li.appendChild(p);
    }
    if (data.meta && data.meta.image) {
      var img = document.createElement("p");
      var code = document.createElement("code");
      code.textContent = data.meta.image;
      img.appendChild(code);
      li.appendChild(img);
    }
    return li;
  }

  function showMore() {
    var batch = current.slice(shown, shown + PAGE);
    var mine = generation;
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (items) {
      if (mine !== generation) { return; }
      items.forEach(function (d) { results.appendChild(card(d)); });
      shown += batch.length;
      moreWrap.hidden = shown >= current.length;
    });
  }

  function run() {
    var term = input.value.trim();
    var filters = selectedFilters();
    generation += 1;
    var mine = generation;
    if (!term && !filters) {
      results.hidden = true;
      moreWrap.hidden = true;
      results.textContent = "";
      listing.hidden = false;
      status.textContent = "";
      return;
    }
    status.textContent = "Searching…";
    load().then(function (pf) {
      return pf.search(term || null, filters ? { filters: filters } : {});
    }).then(function (search) {
      if (mine !== generation) { return; }
      current = (search && search.results) || [];
      shown = 0;
      results.textContent = "";
      listing.hidden = true;
      results.hidden = false;
      status.textContent = current.length === 1 ? "1 command matches." : current.length + " commands match.";
      return showMore();
    }).catch(function () {
      if (mine !== generation) { return; }
      status.textContent = "Search is not available here (it needs the site served over http). Use the browse links instead.";
      form.classList.add("failed");
      document.documentElement.classList.remove("js");
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  });
  form.addEventListener("change", function (e) {
    if (e.target && e.target.type === "checkbox") { run(); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  more.addEventListener("click", showMore);
  // Warm the index when the user shows intent, not on every page view.
  input.addEventListener("focus", function () { load().catch(function () {}); }, { once: true });
  if (input.value) { run(); }
})();
