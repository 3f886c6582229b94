// Sends the newsletter form in place and shows the service's answer next to
// it. Without this script the form is a plain POST and the service answers
// with its thank-you page, so everything here is an extra, never a need.
//
// The service takes a form sent sooner than NEWSLETTER_MIN_FILL_SECONDS after
// it was shown (the `ts` field) for a bot's. Autofill is that quick, so the
// script waits out the rest of that time before sending, saying only
// "Sending…"; if the service still finds it too soon (another setting, or a
// clock running ahead of the service's), it answers with its own time and how
// long to wait, and the script sends once more after that.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData || !window.URLSearchParams || !window.Promise) {
    return;
  }
  var fieldIds = { name: "nl-name", email: "nl-email", consent: "nl-consent" };
  // The service's default NEWSLETTER_MIN_FILL_SECONDS, in milliseconds.
  var minFillMs = 3000;

  function pause(ms) {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, Math.max(0, ms));
    });
  }

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

    function send(retried) {
      return fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        credentials: "omit",
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (answer) {
          if (!answer.ok && answer.retry && shown && !retried) {
            shown.value = String(answer.retry.ts);
            return pause(answer.retry.after * 1000).then(function () {
              return send(true);
            });
          }
          return answer;
        });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      button.disabled = true;
      status.textContent = form.getAttribute("data-sending");
      // At most minFillMs: `ts` may hold the service's time, after a retry.
      var waited = shown && shown.value ? Date.now() - Number(shown.value) : minFillMs;
      pause(Math.min(minFillMs, minFillMs - waited))
        .then(function () {
          return send(false);
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
