// ShopFlow checkout: hosted card fields, pay, 3DS modal, wait for the webhook. No build step.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("checkout-config").textContent);
  // The session's CSRF token: every POST to this host must carry it (stack/security/csrf.py).
  var csrfToken = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var paymentsOrigin = new URL(config.paymentsUrl).origin;
  var form = document.getElementById("checkout-form");
  var payButton = document.getElementById("pay-button");
  var cardFrame = document.getElementById("card-frame");
  var errorBox = document.getElementById("payment-error");
  var statusBox = document.getElementById("payment-status");
  var modal = document.getElementById("threeds-modal");
  var threedsFrame = document.getElementById("threeds-frame");
  var payLabel = payButton.textContent;
  var SETTLE_WAIT_MS = 20000;
  var CARD_WAIT_MS = 15000;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    statusBox.textContent = "";
    payButton.disabled = false;
    payButton.textContent = payLabel;
  }

  function busy(message) {
    errorBox.hidden = true;
    statusBox.textContent = message;
    payButton.disabled = true;
    payButton.textContent = "Processing…";
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () {
        return {outcome: "failed", error: {message: "Something went wrong. Please try again."}};
      });
    });
  }

  // One message from a frame of the payment provider, of the given type, or a timeout.
  function nextMessage(type, origin, timeoutMs) {
    return new Promise(function (resolve) {
      var timer = timeoutMs ? setTimeout(function () { finish(null); }, timeoutMs) : null;
      function onMessage(event) {
        if (event.origin !== origin || !event.data || event.data.type !== type) { return; }
        finish(event.data);
      }
      function finish(value) {
        window.removeEventListener("message", onMessage);
        if (timer) { clearTimeout(timer); }
        resolve(value);
      }
      window.addEventListener("message", onMessage);
    });
  }

  function tokenizeCard() {
    var answer = nextMessage("shopflow.elements.result", paymentsOrigin, CARD_WAIT_MS);
    cardFrame.contentWindow.postMessage({type: "shopflow.elements.submit"}, paymentsOrigin);
    return answer;
  }

  // The order failed for THIS attempt (not a stale status left by an earlier declined card).
  function attemptFailed(order) {
    return order.status === "payment_failed" && order.payment_status === "failed";
  }

  // Poll the order until the provider's webhook settles it (paid or failed), or time runs out.
  function waitForOrder(orderId) {
    var deadline = Date.now() + SETTLE_WAIT_MS;
    return new Promise(function (resolve) {
      (function poll() {
        fetch("/checkout/api/orders/" + encodeURIComponent(orderId), {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (order) {
            if (order.settled || attemptFailed(order) || Date.now() > deadline) { resolve(order); }
            else { setTimeout(poll, 300); }
          })
          .catch(function () { if (Date.now() > deadline) { resolve({}); } else { setTimeout(poll, 500); } });
      })();
    });
  }

  function confirm(result) {
    busy("Confirming your payment…");
    waitForOrder(result.order_id).then(function (order) {
      if (attemptFailed(order)) {
        showError("Your payment did not go through. Please try another card.");
      } else {
        window.location.assign(result.confirmation_url);
      }
    });
  }

  function authenticate(result) {
    var challengeOrigin = new URL(result.redirect_url).origin;
    var answer = nextMessage("shopflow.3ds.result", challengeOrigin, 0);
    threedsFrame.src = result.redirect_url;
    statusBox.textContent = "Waiting for your bank's confirmation…";
    modal.showModal();
    answer.then(function (message) {
      modal.close();
      threedsFrame.src = "about:blank";
      if (message.status === "succeeded") {
        confirm(result);
      } else {
        busy("Checking with your bank…");
        waitForOrder(result.order_id).then(function () { showError(config.authFailedMessage); });
      }
    });
  }

  function fieldValues() {
    var data = {};
    ["email", "name", "line1", "city", "postal_code", "country"].forEach(function (name) {
      data[name] = form.elements[name].value.trim();
    });
    var chosen = form.querySelector("input[name=shipping_method]:checked");
    data.shipping_method = chosen ? chosen.value : "standard";
    return data;
  }

  function pay(event) {
    event.preventDefault();
    if (config.payButtonBroken) { return; }  // fault pay_button_broken: the button does nothing
    if (!form.reportValidity()) { return; }
    busy("Checking your card…");
    tokenizeCard().then(function (card) {
      if (!card) { return showError("The card form did not answer. Please reload the page and try again."); }
      if (card.error) { return showError(card.error.message || "Please check your card details."); }
      busy("Processing your payment…");
      var body = fieldValues();
      body.payment_method = card.payment_method;
      return postJson("/checkout/api/pay", body).then(function (result) {
        if (result.outcome === "succeeded") { confirm(result); }
        else if (result.outcome === "requires_action") { authenticate(result); }
        else { showError((result.error && result.error.message) || "Your payment did not go through."); }
      });
    }).catch(function () { showError("Something went wrong. Please try again."); });
  }

  form.addEventListener("submit", pay);
  form.querySelectorAll("input[name=shipping_method]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      postJson("/checkout/api/shipping", {shipping_method: radio.value}).then(function (result) {
        if (result.outcome !== "ok") { return; }
        ["subtotal", "shipping", "tax", "total"].forEach(function (key) {
          document.querySelectorAll("[data-testid=" + key + "]").forEach(function (el) { el.textContent = result.cart[key]; });
        });
        document.querySelectorAll("[data-testid=shipping-method-name]").forEach(function (el) { el.textContent = result.cart.shipping_method; });
        payLabel = "Pay " + result.cart.total;
        if (!payButton.disabled) { payButton.textContent = payLabel; }
      });
    });
  });
  modal.addEventListener("cancel", function (event) { event.preventDefault(); });  // the bank decides, not Esc
})();
