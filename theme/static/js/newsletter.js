// Sends the newsletter form in place and shows the service's answer next to
// it. Without this script the form is a plain POST and the service answers
// with its thank-you page, so everything here is an extra, never a need.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData || !window.URLSearchParams) {
    return;
  }
  var fieldIds = { name: "nl-name", email: "nl-email", consent: "nl-consent" };

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".newsletter-form__error"), function (node) {
      node.remove();
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (input) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
  }

  function showErrors(form, errors, status) {
    var first = null;
    var general = [];
    Object.keys(errors).forEach(function (field) {
      var input = fieldIds[field] && form.querySelector("#" + fieldIds[field]);
      if (!input) {
        general.push(errors[field]);
        return;
      }
      var message = document.createElement("p");
      message.className = "newsletter-form__error";
      message.id = input.id + "-error";
      message.textContent = errors[field];
      input.parentNode.insertBefore(message, input.parentNode.firstChild);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", message.id);
      first = first || input;
    });
    status.textContent = general.join(" ");
    if (first) {
      first.focus();
    }
  }

  function enhance(form) {
    var status = form.querySelector("[data-newsletter-status]");
    var button = form.querySelector("button[type=submit]");
    var shown = form.querySelector("input[name=ts]");
    if (shown) {
      shown.value = String(Date.now());
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      button.disabled = true;
      status.textContent = form.getAttribute("data-sending");
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        credentials: "omit",
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (answer) {
          if (answer.ok) {
            status.textContent = answer.message;
            form.reset();
            if (shown) {
              shown.value = String(Date.now());
            }
          } else {
            showErrors(form, answer.errors || {}, status);
          }
        })
        .catch(function () {
          status.textContent = form.getAttribute("data-failed");
        })
        .then(function () {
          button.disabled = false;
        });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-newsletter]"), enhance);
})();
