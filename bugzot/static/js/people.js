/* People fields (assignee, QA contact, CC): suggestions from GET <data-people-url>?q=
 * in a <datalist>, so the browser's own accessible autocomplete offers them.
 *
 * <input data-people>       one username;
 * <input data-people="list"> usernames separated by commas: the last one is completed.
 * The URL comes from the closest [data-people-url] (the form).
 */
(function () {
  "use strict";
  var MIN_WAIT = 150;

  function setUp(input) {
    var holder = input.closest("[data-people-url]");
    if (!holder) { return; }
    var url = holder.getAttribute("data-people-url");
    var list = document.createElement("datalist");
    list.id = "people-" + input.id;
    input.parentNode.appendChild(list);
    input.setAttribute("list", list.id);
    var many = input.getAttribute("data-people") === "list";
    var timer = null;
    var asked = "";

    function split() {
      if (!many) { return { before: "", last: input.value.trim() }; }
      var match = /^(.*?)([^,\s]*)$/.exec(input.value);
      return { before: match[1], last: match[2] };
    }

    function lookUp() {
      var parts = split();
      var q = parts.last.toLowerCase();
      if (!q || q === asked) { return; }
      asked = q;
      fetch(url + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { people: [] }; }).then(function (data) {
        if (asked !== q) { return; } // a later keystroke asked again
        list.textContent = "";
        data.people.forEach(function (person) {
          var option = document.createElement("option");
          option.value = parts.before + person.username;
          option.label = person.real_name ? person.real_name + " (" + person.username + ")" : person.username;
          list.appendChild(option);
        });
      }).catch(function () { /* no suggestions; typing still works */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, MIN_WAIT);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-people]"), setUp);
}());
