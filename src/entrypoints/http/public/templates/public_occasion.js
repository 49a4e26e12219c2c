(function () {
  "use strict";
  var countdown = document.getElementById("countdown");
  if (countdown) {
    var target = Date.parse(countdown.getAttribute("data-target"));
    var units = countdown.querySelectorAll("[data-unit]");
    var tick = function () {
      var left = Math.floor((target - Date.now()) / 60000);
      if (!(left > 0)) {
        countdown.classList.add("hidden");
        return;
      }
      var values = [Math.floor(left / 1440), Math.floor(left / 60) % 24, left % 60];
      for (var i = 0; i < units.length; i++) units[i].textContent = String(values[i]);
    };
    tick();
    setInterval(tick, 15000);
  }

  var prompt = document.getElementById("rsvp-prompt");
  if (prompt && typeof prompt.showModal === "function") {
    var key = "mocheong.rsvp-prompt:" + location.pathname;
    var seen = "1";
    try {
      seen = localStorage.getItem(key);
      localStorage.setItem(key, "1");
    } catch (e) {
      seen = "1";
    }
    prompt.addEventListener("click", function (event) {
      if (event.target === prompt || event.target.hasAttribute("data-close")) prompt.close();
    });
    if (!seen && !location.hash) prompt.showModal();
  }
})();
