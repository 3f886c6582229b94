// The quota helper of the "does it apply to you" page: a number of employees
// in, the band of Law 68/1999 art. 3(1) out, in a live region. The table
// above it says the same without JavaScript; the sentences come from the
// page (data-* attributes), so they are translated with the theme.
(function () {
  "use strict";
  var form = document.getElementById("quota-helper");
  if (!form) return;
  // After the table's section: before the next heading, or after the table.
  var table = document.querySelector(".prose table");
  if (table) {
    var next = table.nextElementSibling;
    while (next && next.tagName !== "H2") next = next.nextElementSibling;
    if (next) next.insertAdjacentElement("beforebegin", form);
    else table.insertAdjacentElement("afterend", form);
  }
  form.hidden = false;

  var input = document.getElementById("quota-employees");
  var answer = document.getElementById("quota-answer");
  var lang = document.documentElement.lang;
  var decimal = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  var whole = new Intl.NumberFormat(lang);

  function say(template, employees, workers) {
    return template
      .replace("{employees}", whole.format(employees))
      .replace("{workers}", workers === undefined ? "" : decimal.format(workers));
  }

  function show(text, invalid) {
    answer.textContent = text;
    if (invalid) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function update() {
    // badInput: what was typed is not a number ("1e", "forty"): value is "".
    if (input.validity.badInput) return show(form.dataset.invalid, true);
    var text = input.value.trim();
    if (text === "") return show("", false);
    var employees = Number(text);
    if (!Number.isInteger(employees) || employees < 0) {
      show(form.dataset.invalid, true);
    } else if (employees === 1) {
      show(form.dataset.single, false);
    } else if (employees < 15) {
      show(say(form.dataset.none, employees), false);
    } else if (employees <= 35) {
      show(say(form.dataset.one, employees), false);
    } else if (employees <= 50) {
      show(say(form.dataset.two, employees), false);
    } else {
      show(say(form.dataset.share, employees, (employees * 7) / 100), false);
    }
  }

  input.addEventListener("input", update);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
})();
