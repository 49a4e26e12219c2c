(function () {
  "use strict";
  // Copy buttons (accounts, address, link) and sharing. In-app browsers (KakaoTalk's first)
  // refuse navigator.clipboard: the text is then copied from a selection with execCommand,
  // and where that fails too it is shown selected, for a long press.
  var toast = document.getElementById("copied");
  var sheet = document.getElementById("copy-sheet");
  var field = document.getElementById("copy-sheet-text");
  var opener = null;
  var timer = 0;

  function notify(text) {
    if (!toast) return;
    toast.textContent = text;
    toast.classList.add("show");
    clearTimeout(timer);
    timer = setTimeout(function () { toast.classList.remove("show"); }, 2000);
  }

  function copiedBySelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  function showSheet(text, button) {
    if (!sheet || !field) return;
    opener = button;
    field.value = text;
    sheet.classList.remove("hidden");
    field.focus();
    field.select();
    field.setSelectionRange(0, text.length);
  }

  function closeSheet() {
    if (!sheet || sheet.classList.contains("hidden")) return;
    sheet.classList.add("hidden");
    if (opener) opener.focus();
  }

  function copy(text, button) {
    var done = function () {
      notify("복사되었습니다");
      if (button.hasAttribute("data-copied")) {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-copied");
        setTimeout(function () { button.textContent = label; }, 1500);
      }
    };
    var fallback = function () {
      if (copiedBySelection(text)) done(); else showSheet(text, button);
    };
    if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      // The share button opens the phone's own share sheet where there is one, else copies.
      if (button.hasAttribute("data-share") && navigator.share) {
        navigator.share({title: document.title, url: text}).catch(function () {});
        return;
      }
      copy(text, button);
    });
  });
  var close = document.getElementById("copy-sheet-close");
  if (close) close.addEventListener("click", closeSheet);
  if (sheet) {
    sheet.addEventListener("keydown", function (event) { if (event.key === "Escape") closeSheet(); });
  }

  // Kakao's SDKs, only on a page whose service has a Kakao key: loaded when their part of the
  // page comes near, never before the first paint.
  function whenNear(element, run) {
    if (!("IntersectionObserver" in window)) { run(); return; }
    var watch = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      watch.disconnect();
      run();
    }, {rootMargin: "300px"});
    watch.observe(element);
  }

  function load(src, done, failed) {
    var script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onload = done;
    script.onerror = failed || function () {};
    document.head.appendChild(script);
  }

  var map = document.getElementById("kakao-map");
  if (map) {
    whenNear(map, function () {
      load(map.getAttribute("data-sdk"), function () {
        window.kakao.maps.load(function () {
          var maps = window.kakao.maps;
          var at = new maps.LatLng(parseFloat(map.getAttribute("data-lat")),
                                   parseFloat(map.getAttribute("data-lng")));
          new maps.Marker({position: at, map: new maps.Map(map, {center: at, level: 3})});
        });
      }, function () { map.remove(); });
    });
  }

  var kakaoShare = document.getElementById("kakao-share");
  if (kakaoShare) {
    var data = function (name) { return kakaoShare.getAttribute("data-" + name); };
    var ready = false;
    whenNear(kakaoShare, function () {
      load(data("sdk"), function () {
        if (!window.Kakao.isInitialized()) window.Kakao.init(data("key"));
        ready = true;
      });
    });
    kakaoShare.addEventListener("click", function () {
      var url = data("url");
      if (!ready) { copy(url, kakaoShare); return; }
      var link = {mobileWebUrl: url, webUrl: url};
      window.Kakao.Share.sendDefault({
        objectType: "feed",
        content: {
          title: data("title"), description: data("description"), imageUrl: data("image"),
          imageWidth: 1200, imageHeight: 600, link: link
        },
        buttons: [{title: "청첩장 보기", link: link}]
      });
    });
  }
})();
