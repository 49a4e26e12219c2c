(function () {
  "use strict";
  // The guests' album: each chosen photo goes to the API in turn, with its progress; a
  // refusal says why in Korean. Without script the form posts to /i/{slug}/photos.
  var form = document.getElementById("album-form");
  var api = document.body.getAttribute("data-api") + "/photos";
  var reasons = {
    file_too_large: "사진이 너무 커요. 한 장에 {max}MB까지 보낼 수 있어요.",
    unsupported_media_type: "사진 파일(JPG, PNG, HEIC 등)만 보낼 수 있어요.",
    image_too_large: "사진의 해상도가 너무 커요.",
    album_closed: "지금은 사진을 받지 않아요.",
    album_full: "앨범이 가득 찼어요.",
    rate_limited: "사진을 많이 보내셨어요. 잠시 후 다시 보내 주세요.",
    validation_error: "보내는 분 이름은 20자까지 쓸 수 있어요."
  };
  var more = document.getElementById("album-more");
  var grid = document.getElementById("album-photos");
  if (more && grid) {
    more.classList.remove("hidden");
    more.addEventListener("click", function () {
      fetch(api + "?cursor=" + encodeURIComponent(more.getAttribute("data-cursor")))
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (page) {
          if (!page) return;
          page.items.forEach(function (p) {
            var a = document.createElement("a"), img = document.createElement("img");
            a.href = p.url; img.src = p.thumbnail; img.loading = "lazy";
            img.alt = p.guest_name ? p.guest_name + "님이 보낸 사진" : "하객이 보낸 사진";
            a.appendChild(img); grid.appendChild(a);
          });
          if (page.next_cursor) more.setAttribute("data-cursor", page.next_cursor);
          else more.remove();
        }).catch(function () {});
    });
  }
  if (!form || !window.FormData) return;
  var input = form.elements.file, max = +form.getAttribute("data-max");
  var bar = document.getElementById("album-progress");
  var status = document.getElementById("album-status");
  var error = document.getElementById("album-error");
  var button = form.querySelector("button");
  var mb = String(Math.round(max / 104857.6) / 10);
  input.multiple = true;

  function reason(xhr) {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { /* not a problem body */ }
    var text = body && reasons[body.code];
    return text ? text.replace("{max}", mb) : "사진을 보내지 못했어요. 다시 시도해 주세요.";
  }

  function sendOne(file, done) {
    var data = new FormData();
    data.append("name", form.elements.name.value);
    data.append("file", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", api);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = 100 * e.loaded / e.total; };
    xhr.onload = function () { done(xhr.status === 201 ? null : reason(xhr)); };
    xhr.onerror = function () { done("연결이 끊겼어요. 다시 시도해 주세요."); };
    xhr.send(data);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    error.textContent = "";
    document.getElementById("album-done").classList.remove("show");
    var big = files.filter(function (f) { return f.size > max; });
    if (!files.length || big.length) {
      error.textContent = files.length ? reasons.file_too_large.replace("{max}", mb) : "사진을 골라 주세요.";
      return;
    }
    var index = 0;
    button.disabled = true;
    bar.classList.remove("hidden");
    (function next(problem) {
      if (problem || index === files.length) {
        button.disabled = false;
        bar.classList.add("hidden");
        status.textContent = "";
        if (problem) { error.textContent = problem; return; }
        form.reset();
        document.getElementById("album-done").classList.add("show");
        return;
      }
      bar.value = 0;
      status.textContent = files.length > 1 ? (index + 1) + " / " + files.length + "장 보내는 중" : "보내는 중";
      sendOne(files[index++], next);
    })(null);
  });
})();
