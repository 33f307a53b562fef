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
        // `filters()` loads every filter's index, which the per-query counts need.
        return pf.options({ baseUrl: "/" }).then(function () { pf.init(); return pf.filters(); })
          .then(function () { return pf; });
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

  // The words of the query, for highlighting (at least two characters each).
  function terms() {
    return input.value.toLowerCase().split(/\s+/).filter(function (t) { return t.length > 1; });
  }

  // `text` into `parent`, with every query word wrapped in <mark>: built from text nodes, so
  // command text never becomes markup.
  function highlighted(parent, text) {
    var words = terms();
    var lower = text.toLowerCase();
    var i = 0;
    while (i < text.length) {
      var next = -1, len = 0;
      words.forEach(function (w) {
        var at = lower.indexOf(w, i);
        if (at !== -1 && (next === -1 || at < next || (at === next && w.length > len))) { next = at; len = w.length; }
      });
      if (next === -1) { break; }
      if (next > i) { parent.appendChild(document.createTextNode(text.slice(i, next))); }
      var mark = document.createElement("mark");
      mark.textContent = text.slice(next, next + len);
      parent.appendChild(mark);
      i = next + len;
    }
    if (i < text.length) { parent.appendChild(document.createTextNode(text.slice(i))); }
    return parent;
  }

  function setFilter(name, value, on) {
    form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (box.name === name && box.value === value) { box.checked = on; }
    });
  }

  function card(data) {
    var li = document.createElement("li");
    li.className = "card";
    var h = document.createElement("h3");
    var a = document.createElement("a");
    a.href = href(data.url);
    highlighted(a, (data.meta && data.meta.title) || data.url);
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
      highlighted(p, data.meta.summary);
      li.appendChild(p);
    }
    var tags = (data.filters && data.filters.tag) || [];
    if (tags.length) {
      var ul = document.createElement("ul");
      ul.className = "tags";
      ul.setAttribute("aria-label", "Tags");
      tags.forEach(function (t) {
        var item = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "tag";
        b.textContent = t;
        b.title = "Show only commands tagged " + t;
        b.addEventListener("click", function () { setFilter("tag", t, true); run(true); });
        item.appendChild(b);
        ul.appendChild(item);
      });
      li.appendChild(ul);
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

  // Each filter value's count follows the query and the other filters; with neither, the
  // catalog's totals come back.
  function updateCounts(counts) {
    form.querySelectorAll(".count[data-total]").forEach(function (span) {
      var box = span.parentNode.querySelector("input");
      var n = counts ? ((counts[box.name] || {})[box.value] || 0) : Number(span.getAttribute("data-total"));
      span.textContent = String(n);
      span.parentNode.classList.toggle("empty", n === 0 && !box.checked);
    });
  }

  // The query and filters live in the URL (`?q=…&tag=bids`), so a search can be shared and the
  // back button steps through searches.
  function stateUrl() {
    var params = new URLSearchParams();
    var term = input.value.trim();
    if (term) { params.set("q", term); }
    form.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      params.append(box.name, box.value);
    });
    var query = params.toString();
    return location.pathname + (query ? "?" + query : "");
  }

  function fromUrl() {
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      box.checked = params.getAll(box.name).indexOf(box.value) !== -1;
    });
  }

  function remember(push) {
    var url = stateUrl();
    if (url === location.pathname + location.search) { return; }
    if (push) { history.pushState(null, "", url); } else { history.replaceState(null, "", url); }
  }

  function run(push) {
    if (push !== undefined) { remember(push); }
    var term = input.value.trim();
    var filters = selectedFilters();
    generation += 1;
    var mine = generation;
    if (!term && !filters) {
      updateCounts(null);
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
      updateCounts(search && search.filters);
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

  // Typing replaces the current history entry (one entry per search, not per keystroke); the
  // first keystroke after a filter change or a fresh page starts a new entry.
  var timer = null;
  var typing = false;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(!typing); typing = true; }, 150);
  });
  form.addEventListener("change", function (e) {
    if (e.target && e.target.type === "checkbox") { typing = false; run(true); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); typing = false; run(true); });
  window.addEventListener("popstate", function () { typing = false; fromUrl(); run(); });
  more.addEventListener("click", showMore);
  // Warm the index when the user shows intent, not on every page view.
  input.addEventListener("focus", function () { load().catch(function () {}); }, { once: true });
  // On a phone the filters start folded away under their summary.
  var filtersBox = document.getElementById("filters");
  if (filtersBox && window.matchMedia && window.matchMedia("(max-width: 40rem)").matches) {
    filtersBox.open = false;
  }
  fromUrl();
  if (input.value || selectedFilters()) { run(); }
})();
