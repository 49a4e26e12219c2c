(function () {
  "use strict";
  // The photo viewer: a tap on a gallery photo opens it large in a modal <dialog>; swipe or
  // the arrow keys and buttons move between photos, two fingers (or a double tap) zoom, Esc
  // or 닫기 closes and gives the focus back to the photo that opened it. Without this script,
  // or a browser without <dialog>, the link opens the photo itself.
  var gallery = document.querySelector(".gallery[data-viewer]");
  var dialog = document.getElementById("viewer");
  if (!gallery || !dialog || typeof dialog.showModal !== "function") return;
  var links = Array.prototype.slice.call(gallery.querySelectorAll("a"));
  var image = document.getElementById("viewer-image");
  var count = document.getElementById("viewer-count");
  var stage = dialog.querySelector(".viewer-stage");
  var index = 0;
  var opener = null;
  var zoom = {scale: 1, x: 0, y: 0};
  var pointers = {};
  var gesture = null;
  var lastTap = 0;

  function apply() {
    image.style.transform = "translate(" + zoom.x + "px," + zoom.y + "px) scale(" + zoom.scale + ")";
  }

  function reset() {
    zoom = {scale: 1, x: 0, y: 0};
    apply();
  }

  function show(next) {
    index = (next + links.length) % links.length;
    reset();
    image.src = links[index].getAttribute("href");
    image.alt = "사진 " + (index + 1) + " / " + links.length;
    count.textContent = (index + 1) + " / " + links.length;
    // The neighbours are fetched ahead, so a swipe shows the next photo at once.
    [index - 1, index + 1].forEach(function (i) {
      var link = links[(i + links.length) % links.length];
      new Image().src = link.getAttribute("href");
    });
  }

  function open(at, link) {
    opener = link;
    show(at);
    dialog.showModal();
    dialog.querySelector(".viewer-close").focus();
  }

  links.forEach(function (link, at) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      open(at, link);
    });
  });
  dialog.querySelector(".viewer-prev").addEventListener("click", function () { show(index - 1); });
  dialog.querySelector(".viewer-next").addEventListener("click", function () { show(index + 1); });
  dialog.querySelector(".viewer-close").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () {
    image.removeAttribute("src");
    if (opener) opener.focus();
  });
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowLeft") { show(index - 1); event.preventDefault(); }
    if (event.key === "ArrowRight") { show(index + 1); event.preventDefault(); }
  });

  function distance() {
    var points = Object.keys(pointers).map(function (id) { return pointers[id]; });
    if (points.length < 2) return 0;
    return Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y);
  }

  stage.addEventListener("pointerdown", function (event) {
    // Moves outside the stage keep coming here; a pointer already gone cannot be captured.
    try { stage.setPointerCapture(event.pointerId); } catch (e) { /* released already */ }
    pointers[event.pointerId] = {x: event.clientX, y: event.clientY};
    var touching = Object.keys(pointers).length;
    if (touching === 2) {
      gesture = {kind: "pinch", distance: distance(), scale: zoom.scale};
    } else if (touching === 1) {
      gesture = {kind: "drag", x: event.clientX, y: event.clientY, zx: zoom.x, zy: zoom.y};
    }
  });
  stage.addEventListener("pointermove", function (event) {
    if (!pointers[event.pointerId] || !gesture) return;
    pointers[event.pointerId] = {x: event.clientX, y: event.clientY};
    if (gesture.kind === "pinch" && gesture.distance > 0) {
      zoom.scale = Math.min(4, Math.max(1, gesture.scale * distance() / gesture.distance));
      if (zoom.scale === 1) { zoom.x = 0; zoom.y = 0; }
      apply();
    } else if (gesture.kind === "drag" && zoom.scale > 1) {
      zoom.x = gesture.zx + event.clientX - gesture.x;
      zoom.y = gesture.zy + event.clientY - gesture.y;
      apply();
    }
  });
  function lift(event) {
    if (!pointers[event.pointerId]) return;
    delete pointers[event.pointerId];
    if (gesture && gesture.kind === "drag" && zoom.scale === 1) {
      var dx = event.clientX - gesture.x;
      var dy = event.clientY - gesture.y;
      if (Math.abs(dx) > 50 && Math.abs(dx) > Math.abs(dy)) {
        show(dx < 0 ? index + 1 : index - 1);
      } else if (Math.abs(dx) < 10 && Math.abs(dy) < 10) {
        var now = Date.now();
        if (now - lastTap < 300) {
          zoom = {scale: 2, x: 0, y: 0};
          apply();
          now = 0;
        }
        lastTap = now;
      }
    } else if (gesture && gesture.kind === "drag" && zoom.scale > 1) {
      var still = Math.abs(event.clientX - gesture.x) < 10 && Math.abs(event.clientY - gesture.y) < 10;
      if (still && Date.now() - lastTap < 300) { reset(); lastTap = 0; } else if (still) { lastTap = Date.now(); }
    }
    gesture = Object.keys(pointers).length ? gesture : null;
  }
  stage.addEventListener("pointerup", lift);
  stage.addEventListener("pointercancel", lift);
})();
