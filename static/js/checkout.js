/*
 * The event page's checkout form (templates/ticketing/checkout_form.html): a live total.
 *
 * Display only. Prices are read from the server-rendered data-price of each line, and the
 * server prices the order again from its database whatever this shows. Without this file the
 * form still works: its "step" stays "review" and the server shows the lines and the total on a
 * review page before the buyer pays. With it, each line's subtotal and the total follow the
 * quantities, so the form goes straight to payment ("step" = "pay").
 *
 * Amounts are counted in whole pence (no floating-point money) and written in the shape the
 * server's formatter gave for zero (data-money-zero, e.g. "£0.00" or "CHF 0.00"): its sign or
 * code comes from the server, this file only fills in the digits.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-checkout]");
  if (!form) {
    return;
  }

  // An error summary receives focus, so a screen reader reads it and a keyboard starts there.
  var summary = form.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    // The #tickets fragment's scroll can take the focus back; give it once more after load.
    window.addEventListener("load", function () {
      summary.focus();
    });
  }

  var zero = form.getAttribute("data-money-zero") || "0.00";
  var at = zero.indexOf("0.00");
  var before = at < 0 ? "" : zero.slice(0, at);
  var after = at < 0 ? "" : zero.slice(at + 4);

  function pence(price) {
    // "24.50" -> 2450, read as digits rather than as a float.
    var parts = String(price).split(".");
    var whole = parseInt(parts[0], 10) || 0;
    var cents = parseInt(((parts[1] || "") + "00").slice(0, 2), 10) || 0;
    return whole * 100 + cents;
  }

  function shown(amountInPence) {
    var whole = String(Math.floor(amountInPence / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = String(amountInPence % 100);
    return before + whole + "." + (cents.length < 2 ? "0" + cents : cents) + after;
  }

  function quantity(input) {
    // What the server would accept: a whole number within the input's own bounds, else nothing.
    if (!/^\s*\d+\s*$/.test(input.value)) {
      return 0;
    }
    var n = parseInt(input.value, 10);
    var max = parseInt(input.getAttribute("max"), 10);
    return isNaN(max) || n <= max ? n : 0;
  }

  var lines = Array.prototype.slice.call(form.querySelectorAll("[data-ticket-line]"));
  var totalOut = form.querySelector("[data-order-total]");

  function update() {
    var total = 0;
    lines.forEach(function (line) {
      var input = line.querySelector("input");
      var out = line.querySelector("[data-line-total]");
      var subtotal = input ? quantity(input) * pence(line.getAttribute("data-price")) : 0;
      total += subtotal;
      if (out) {
        out.textContent = input ? shown(subtotal) : "";
      }
    });
    if (totalOut) {
      totalOut.textContent = shown(total);
    }
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
  Array.prototype.forEach.call(form.querySelectorAll("[data-live]"), function (element) {
    element.hidden = false;
  });

  // The buyer sees the total here: the order goes to payment without the review page. A promo
  // code's discount is computed by the server only, so with a code typed the form goes to the
  // review page, which shows the discounted total before anything is reserved.
  var step = form.querySelector("[data-checkout-step]");
  var submit = form.querySelector("[data-checkout-submit]");
  var promo = form.querySelector("[name=promo_code]");
  function chooseStep() {
    var withCode = promo && promo.value.trim() !== "";
    step.value = withCode ? "review" : "pay";
    submit.textContent = withCode ? "Review your order" : "Continue to payment";
  }
  if (step && submit) {
    chooseStep();
    if (promo) {
      promo.addEventListener("input", chooseStep);
    }
  }
})();
