/* Progressive enhancement of the MSC pages; every page works without it.
   - A form marked data-live-search="ID" shows its results while the user types: the page is
     fetched like the form would fetch it, and the element ID is swapped in (an aria-live
     region announces the count). If the login has ended, the page is opened normally, which
     leads through the login page and back.
   - A field marked data-filter-for="ID" (hidden without this script) narrows the list ID of
     checkboxes to the entries containing what is typed, case and diacritics aside; ticked
     entries stay visible, so nothing ticked is hidden. */
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser || !window.URLSearchParams) return;

  function liveSearch(form) {
    var target = document.getElementById(form.getAttribute("data-live-search"));
    if (!target) return;
    var timer = null, latest = 0;
    function run() {
      var url = form.action.split("?")[0] + "?" + new URLSearchParams(new FormData(form)).toString();
      var mine = ++latest;
      fetch(url, { credentials: "same-origin", redirect: "manual",
                   headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (response.type === "opaqueredirect" || !response.ok) {
            window.location.assign(url);
            return null;
          }
          return response.text();
        })
        .then(function (html) {
          if (html === null || mine !== latest) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(target.id);
          if (!fresh) return;
          target.innerHTML = fresh.innerHTML;
          window.history.replaceState(null, "", url);
        })
        .catch(function () { /* offline: the search button still works */ });
    }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 300);
    });
  }

  function folded(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function listFilter(field) {
    var list = document.getElementById(field.getAttribute("data-filter-for"));
    var input = field.querySelector("input");
    if (!list || !input) return;
    field.hidden = false;
    input.addEventListener("input", function () {
      var wanted = folded(input.value.trim());
      Array.prototype.forEach.call(list.querySelectorAll("li"), function (item) {
        var box = item.querySelector("input");
        var shown = !wanted || (box && box.checked) || folded(item.textContent).indexOf(wanted) >= 0;
        item.hidden = !shown;
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-live-search]"), liveSearch);
    Array.prototype.forEach.call(document.querySelectorAll("[data-filter-for]"), listFilter);
    // After a failed submit, take the keyboard to the list of what to correct.
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
