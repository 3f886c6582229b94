// The quota helper of the "does it apply to you" page: a number of employees
// in, the band of Law 68/1999 art. 3(1) out, in a live region. The table
// above it says the same without JavaScript; the sentences come from the
// page (data-* attributes), so they are translated with the theme.
(function () {
  "use strict";
  var form = document.getElementById("quota-helper");
  if (!form) return;
  var table = document.querySelector(".prose table");
  if (table) table.insertAdjacentElement("afterend", form);
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

  function update() {
    var text = input.value.trim();
    if (text === "") {
      answer.textContent = "";
      return;
    }
    var employees = Number(text);
    if (!Number.isInteger(employees) || employees < 0) {
      answer.textContent = form.dataset.invalid;
    } else if (employees < 15) {
      answer.textContent = say(form.dataset.none, employees);
    } else if (employees <= 35) {
      answer.textContent = say(form.dataset.one, employees);
    } else if (employees <= 50) {
      answer.textContent = say(form.dataset.two, employees);
    } else {
      answer.textContent = say(form.dataset.share, employees, (employees * 7) / 100);
    }
  }

  input.addEventListener("input", update);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
})();
