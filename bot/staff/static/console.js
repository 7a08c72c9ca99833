// The staff console's only script (every page works without it):
// - the queue (#queue[data-poll]) asks the server every 20 s (data-interval) whether the list changed (a small
//   JSON of counts), shows the count waiting in the tab's title, and swaps in the new list;
// - a canned reply chosen on the case page is put into the reply box at once.
(function () {
  "use strict";

  function titleWith(count) {
    var base = document.title.replace(/^\(\d+\)\s*/, "");
    return (count > 0 ? "(" + count + ") " : "") + base;
  }

  function pollQueue(box) {
    var url = box.getAttribute("data-poll");
    var every = 1000 * (parseFloat(box.getAttribute("data-interval")) || 20);
    function tick() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          document.title = titleWith(data.waiting);
          var badge = document.getElementById("waiting-count");
          if (data.stamp === box.getAttribute("data-stamp")) { return null; }
          return fetch(window.location.href, {credentials: "same-origin"})
            .then(function (r) { return r.text(); })
            .then(function (html) {
              var fresh = new DOMParser().parseFromString(html, "text/html");
              var list = fresh.getElementById("queue");
              var freshBadge = fresh.getElementById("waiting-count");
              if (list) {
                box.innerHTML = list.innerHTML;
                box.setAttribute("data-stamp", list.getAttribute("data-stamp"));
              }
              if (badge && freshBadge) { badge.textContent = freshBadge.textContent; }
            });
        })
        .catch(function () { /* offline or signed out: try again at the next tick */ })
        .then(function () { window.setTimeout(tick, every); });
    }
    window.setTimeout(tick, every);
  }

  function cannedReplies() {
    var pick = document.getElementById("canned-pick");
    var box = document.getElementById("reply-body");
    if (!pick || !box) { return; }
    pick.addEventListener("change", function () {
      var chosen = pick.options[pick.selectedIndex];
      var text = chosen && chosen.getAttribute("data-body");
      if (!text) { return; }
      box.value = box.value ? box.value.replace(/\s*$/, "") + "\n\n" + text : text;
      box.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var queue = document.getElementById("queue");
    if (queue && queue.hasAttribute("data-poll")) { pollQueue(queue); }
    cannedReplies();
  });
}());
