/* Progressive enhancement of the MSC pages; every page works without it.
   - A form marked data-live-search="ID" shows its results while the user types: the page is
     fetched like the form would fetch it, and the element ID is swapped in (an aria-live
     region announces the count). If the login has ended, the page is opened normally, which
     leads through the login page and back. */
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

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-live-search]"), liveSearch);
    // After a failed submit, take the keyboard to the list of what to correct.
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
